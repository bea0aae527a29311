#!/usr/bin/env python3
"""Writes a CSV file as an .xlsx workbook the way Excel would hold the same
tracker, for the import benchmark: one sheet, text in the shared-string
table, ISO dates as date-styled serial numbers, numbers as numbers. Standard
library only; streams the sheet, so a million rows need little memory.

    python3 tests/bench/csv_to_xlsx.py actions.csv actions.xlsx
"""
import csv
import datetime
import re
import sys
import zipfile
from xml.sax.saxutils import escape

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUM = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
EPOCH = datetime.date(1899, 12, 30)


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def main(src, dst):
    strings, index = [], {}

    def sid(text):
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    info = lambda name: zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        sheet = info("xl/worksheets/sheet1.xml")
        sheet.compress_type = zipfile.ZIP_DEFLATED
        with z.open(sheet, "w") as out, open(src, newline="", encoding="utf-8") as f:
            out.write((DECL + f"<worksheet {NS} {NS_R}><sheetData>").encode())
            for r, row in enumerate(csv.reader(f), 1):
                cells = []
                for c, v in enumerate(row):
                    ref = f"{col(c)}{r}"
                    if v == "":
                        continue
                    if r > 1 and ISO.match(v):
                        y, m, d = map(int, v.split("-"))
                        cells.append(f'<c r="{ref}" s="1"><v>{(datetime.date(y, m, d) - EPOCH).days}</v></c>')
                    elif r > 1 and NUM.match(v):
                        cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="s"><v>{sid(v)}</v></c>')
                out.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
            out.write(b"</sheetData></worksheet>")
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        parts = [
            ("[Content_Types].xml", DECL +
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
             '</Types>'),
            ("_rels/.rels", DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
            ("xl/workbook.xml", DECL + f'<workbook {NS} {NS_R}><sheets>'
             '<sheet name="Actions" sheetId="1" r:id="rId1"/></sheets></workbook>'),
            ("xl/_rels/workbook.xml.rels", DECL +
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
             f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
             f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
             '</Relationships>'),
            ("xl/styles.xml", DECL + f'<styleSheet {NS}><cellXfs count="2"><xf numFmtId="0"/>'
             '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'),
            ("xl/sharedStrings.xml", DECL + f'<sst {NS} count="{len(strings)}" '
             f'uniqueCount="{len(strings)}">{sst}</sst>'),
        ]
        for name, text in parts:
            z.writestr(info(name), text.encode("utf-8"), zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
