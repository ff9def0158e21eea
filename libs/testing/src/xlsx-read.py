"""Decrypts an Agile-encrypted XLSX with msoffcrypto-tool and dumps every cell as JSON with openpyxl.

An independent reader for the tests: neither library shares code with casestats' writer.
Usage: python3 xlsx-read.py FILE PASSWORD  → {"sheets": {name: [[cell, ...], ...]}}
A cell is null or {"t": "s"|"n"|"b"|"d"|"f", "v": value, "fmt": number_format}; dates are
ISO-8601 local wall times rounded to the millisecond.
"""
import datetime
import io
import json
import sys

import msoffcrypto
import openpyxl


def cell_json(cell):
    if cell.value is None:
        return None
    if cell.data_type == "f":
        return {"t": "f", "v": str(cell.value), "fmt": cell.number_format}
    if isinstance(cell.value, datetime.datetime):
        v = cell.value + datetime.timedelta(microseconds=500)
        v = v.replace(microsecond=(v.microsecond // 1000) * 1000)
        return {"t": "d", "v": v.isoformat(timespec="milliseconds"), "fmt": cell.number_format}
    if isinstance(cell.value, bool):
        return {"t": "b", "v": cell.value, "fmt": cell.number_format}
    if isinstance(cell.value, (int, float)):
        return {"t": "n", "v": cell.value, "fmt": cell.number_format}
    return {"t": "s", "v": str(cell.value), "fmt": cell.number_format}


def main():
    path, password = sys.argv[1], sys.argv[2]
    count_only = len(sys.argv) > 3 and sys.argv[3] == "--count"
    with open(path, "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        office.load_key(password=password, verify_password=True)
        plain = io.BytesIO()
        office.decrypt(plain, verify_integrity=True)
    if count_only:
        book = openpyxl.load_workbook(plain, read_only=True)
        json.dump({ws.title: sum(1 for _ in ws.iter_rows(values_only=True)) for ws in book.worksheets}, sys.stdout)
        return
    book = openpyxl.load_workbook(plain, read_only=False, data_only=False)
    sheets = {}
    layout = {}
    for ws in book.worksheets:
        sheets[ws.title] = [[cell_json(c) for c in row] for row in ws.iter_rows()]
        layout[ws.title] = {"freeze": ws.freeze_panes, "autoFilter": ws.auto_filter.ref}
    json.dump({"sheets": sheets, "order": book.sheetnames, "layout": layout}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
