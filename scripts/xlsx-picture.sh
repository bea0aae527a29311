#!/usr/bin/env bash
# Redraws docs/img/exception-list-xlsx.png: the first rows and columns of the
# Findings sheet of the Met example's workbook, drawn from the file's own
# cells, fills, fonts and column widths (read with openpyxl) as an HTML
# table, photographed by headless Chromium. Not a screenshot of Excel: a
# faithful picture of what the file holds.
#
#   scripts/xlsx-picture.sh
#
# Needs build/assure, /usr/bin/python3 with python3-openpyxl, and chromium
# (Debian packages; for the docs only, never needed to run assure).
set -euo pipefail
cd "$(dirname "$0")/.."
assure=${ASSURE:-build/assure}
map=mappings/met-2021-22/map.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for f in fixtures/met-2021-22/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
"$assure" import --quiet --map "$map" --db "$work/db" --as-of 2022-10-03 "${files[@]}"
"$assure" check --map "$map" --db "$work/db" --rules rules --as-of 2022-10-03 --format xlsx \
    --output "$work/list.xlsx" || [ $? -eq 1 ]
/usr/bin/python3 - "$work/list.xlsx" >"$work/sheet.html" <<'PY'
import html, sys
import openpyxl
from openpyxl.utils import get_column_letter
ws = openpyxl.load_workbook(sys.argv[1])["Findings"]
ROWS, COLS = 16, 7
print("<!doctype html><meta charset=utf-8><style>"
      "body{margin:0;font:13px Calibri,Carlito,'Liberation Sans',Arial,sans-serif;background:#fff}"
      "table{border-collapse:collapse;table-layout:fixed}"
      "td,th{border:1px solid #d4d4d4;padding:2px 4px;white-space:nowrap;overflow:hidden;"
      "text-overflow:clip;height:18px}"
      "th.h{background:#f0f0f0;color:#555;font-weight:normal;text-align:center}"
      ".n{text-align:right}.f{float:right;border:1px solid #aaa;background:#fff;color:#444;"
      "font-size:10px;padding:0 2px;margin-left:4px}</style>")
widths = []
for c in range(1, COLS + 1):
    w = ws.column_dimensions[get_column_letter(c)].width or 8.43
    widths.append(min(w, 44))
total = 28 + sum(int(w * 7) for w in widths)
print(f"<table style='width:{total}px'><tr><th class=h style='width:28px'></th>" +
      "".join(f"<th class=h style='width:{int(w * 7)}px'>{get_column_letter(i + 1)}</th>"
              for i, w in enumerate(widths)) + "</tr>")
for r, row in enumerate(ws.iter_rows(min_row=1, max_row=ROWS, max_col=COLS), start=1):
    cells = []
    for c in row:
        style = []
        if c.fill is not None and c.fill.fill_type == "solid":
            rgb = c.fill.fgColor.rgb
            if isinstance(rgb, str):
                style.append(f"background:#{rgb[-6:]}")
        if c.font is not None:
            if c.font.b:
                style.append("font-weight:bold")
            if c.font.color is not None and isinstance(c.font.color.rgb, str):
                style.append(f"color:#{c.font.color.rgb[-6:]}")
        v = c.value
        cls = ""
        if hasattr(v, "strftime"):
            v = v.strftime("%Y-%m-%d")
            cls = " class=n"
        elif isinstance(v, (int, float)):
            cls = " class=n"
        text = "" if v is None else html.escape(str(v))
        if r == 1:  # the autofilter's button on every header cell
            text += "<span class=f>&#9660;</span>"
        cells.append(f"<td{cls} style='{';'.join(style)}'>{text}</td>")
    print(f"<tr><th class=h>{r}</th>{''.join(cells)}</tr>")
    if r == 1:  # the frozen pane's line under the header
        print(f"<tr><td colspan={COLS + 1} style='padding:0;height:2px;background:#9a9a9a'></td></tr>")
print("</table>")
PY
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1560,420 \
    --screenshot="$work/shot.png" "file://$work/sheet.html" >/dev/null 2>&1
mkdir -p docs/img
cp "$work/shot.png" docs/img/exception-list-xlsx.png
echo "docs/img/exception-list-xlsx.png redrawn"
