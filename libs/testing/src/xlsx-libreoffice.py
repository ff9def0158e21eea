"""Reads a decrypted export with LibreOffice (headless, every sheet to CSV) and with openpyxl, and
lists the cells where they disagree: a check that a real spreadsheet application places every cell
where openpyxl does (cells carry no reference after another cell) and shows the same text.
Usage: python3 xlsx-libreoffice.py FILE PASSWORD  → {"sheets": {name: cells}, "mismatches": [...]}
Dates are compared as shown (yyyy-mm-dd hh:mm:ss), numbers as LibreOffice's General format shows
the ones the exports write (whole numbers).
"""
import csv
import datetime
import glob
import io
import json
import os
import subprocess
import sys
import tempfile

import msoffcrypto
import openpyxl


def shown(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def main():
    path, password = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "book.xlsx")
        with open(path, "rb") as f, open(plain, "wb") as out:
            office = msoffcrypto.OfficeFile(f)
            office.load_key(password=password, verify_password=True)
            office.decrypt(out, verify_integrity=True)
        # Comma, double quote, UTF-8, quoted text, formatted as shown, every sheet to its own file.
        options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,true,false,false,-1"
        subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", options, "--outdir", tmp, plain],
            check=True, capture_output=True, timeout=180,
        )
        book = openpyxl.load_workbook(plain, read_only=True)
        result = {"sheets": {}, "mismatches": []}
        for ws in book.worksheets:
            [csv_path] = glob.glob(os.path.join(tmp, f"book-{ws.title}.csv"))
            with open(csv_path, encoding="utf-8", newline="") as f:
                office_rows = list(csv.reader(f))
            py_rows = [[shown(v) for v in row] for row in ws.iter_rows(values_only=True)]
            cells = 0
            for r in range(max(len(office_rows), len(py_rows))):
                a = office_rows[r] if r < len(office_rows) else []
                b = py_rows[r] if r < len(py_rows) else []
                for c in range(max(len(a), len(b))):
                    x = a[c] if c < len(a) else ""
                    y = b[c] if c < len(b) else ""
                    cells += y != ""
                    if x != y:
                        result["mismatches"].append({"sheet": ws.title, "row": r + 1, "col": c + 1, "libreoffice": x[:80], "openpyxl": y[:80]})
            result["sheets"][ws.title] = cells
        # Saved again by LibreOffice: the panes and filters it kept are the ones it understood.
        again = os.path.join(tmp, "again")
        subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", again, plain],
            check=True, capture_output=True, timeout=180,
        )
        saved = openpyxl.load_workbook(os.path.join(again, "book.xlsx"))
        result["layout"] = {ws.title: {"freeze": ws.freeze_panes, "autoFilter": ws.auto_filter.ref} for ws in saved.worksheets}
        json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
