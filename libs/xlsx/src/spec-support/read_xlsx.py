"""Independent reader for the @casestats/xlsx tests: msoffcrypto-tool decrypts, openpyxl reads.

Neither shares code with the writer. Usage:
  read_xlsx.py cells FILE PASSWORD   -> every sheet's cells (full openpyxl load)
  read_xlsx.py count FILE PASSWORD   -> per sheet: row count and last row number (streamed), first rows
  read_xlsx.py zip FILE PASSWORD     -> the decrypted package's entries (zipfile, CRCs checked)
The password is read from argv only to pass it on; nothing is printed but the JSON result.
"""
import datetime
import io
import json
import re
import sys
import zipfile

import msoffcrypto
import openpyxl


def decrypt(path, password):
    with open(path, "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        office.load_key(password=password, verify_password=True)
        plain = io.BytesIO()
        office.decrypt(plain, verify_integrity=True)
    plain.seek(0)
    return plain


def cell_json(cell):
    if cell.value is None:
        return None
    out = {"t": cell.data_type, "fmt": cell.number_format, "bold": bool(cell.font and cell.font.b)}
    v = cell.value
    if isinstance(v, datetime.datetime):
        v = v + datetime.timedelta(microseconds=500)
        v = v.replace(microsecond=(v.microsecond // 1000) * 1000)
        out["v"] = v.isoformat(timespec="milliseconds")
    elif isinstance(v, (int, float, str, bool)):
        out["v"] = v
    else:
        out["v"] = str(v)
    return out


def cells(plain):
    book = openpyxl.load_workbook(plain, read_only=False, data_only=False)
    sheets = []
    for ws in book.worksheets:
        widths = {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth}
        sheets.append({
            "name": ws.title,
            "freeze": ws.freeze_panes,
            "autoFilter": ws.auto_filter.ref,
            "widths": widths,
            "rows": [[cell_json(c) for c in row] for row in ws.iter_rows()],
        })
    return {"sheets": sheets}


def count(plain):
    z = zipfile.ZipFile(plain)
    book = openpyxl.load_workbook(plain, read_only=True)
    sheets = []
    for i, ws in enumerate(book.worksheets):
        rows = 0
        last = None
        tail = b""
        with z.open("xl/worksheets/sheet%d.xml" % (i + 1)) as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                data = tail + block
                rows += data.count(b"<row ") - tail.count(b"<row ")
                found = re.findall(rb'<row r="(\d+)"', data)
                if found:
                    last = int(found[-1])
                tail = data[-32:]
        first = [[cell_json(c) if c.value is not None else None for c in row] for row in ws.iter_rows(min_row=1, max_row=3)]
        sheets.append({"name": ws.title, "rows": rows, "lastRow": last, "first": first})
    return {"sheets": sheets}


def zip_entries(plain):
    z = zipfile.ZipFile(plain)
    bad = z.testzip()
    return {
        "bad": bad,
        "entries": [
            {"name": i.filename, "size": i.file_size, "compressed": i.compress_size, "offset": i.header_offset, "extractVersion": i.extract_version}
            for i in z.infolist()
        ],
    }


def main():
    mode, path, password = sys.argv[1], sys.argv[2], sys.argv[3]
    plain = decrypt(path, password)
    result = {"cells": cells, "count": count, "zip": zip_entries}[mode](plain)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
