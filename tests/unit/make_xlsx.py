#!/usr/bin/env python3
"""Builds the .xlsx workbooks the xlsx unit tests read, into fixtures/test/xlsx/.

Standard library only: every XML part is written here by hand, the way Excel
and LibreOffice write them, and zipped with zipfile. The output is the same on
every run (fixed timestamps), so the committed files only change when this
script does. Run from anywhere:

    python3 tests/unit/make_xlsx.py
    python3 tests/unit/make_xlsx.py --big ROWS out.xlsx   (a big sheet, to measure)

The big inputs (the 200k-row sheet, a 70 MiB attribute) are built by the test
itself into a temporary directory; they are not kept here.
"""
import os
import struct
import sys
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "test", "xlsx")

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def content_types(sheets):
    over = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1))
    return (DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + over + '</Types>')


ROOT_RELS = (DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
             '</Relationships>')


def workbook_xml(names, date1904=None):
    pr = f'<workbookPr date1904="{date1904}"/>' if date1904 is not None else '<workbookPr/>'
    sheets = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, 1))
    return (DECL + f'<workbook {NS} {NS_R}><fileVersion appName="xl"/>{pr}'
            '<bookViews><workbookView/></bookViews>'
            f'<sheets>{sheets}</sheets><calcPr calcId="191029"/></workbook>')


def workbook_rels(targets, styles=True, strings=True):
    """targets: list of (type, target) for the sheets, in order rId1..."""
    rels = [f'<Relationship Id="rId{i}" Type="{REL}/{t}" Target="{tg}"/>'
            for i, (t, tg) in enumerate(targets, 1)]
    n = len(targets)
    if styles:
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>')
    if strings:
        rels.append(f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
    return (DECL + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(rels) + '</Relationships>')


def styles_xml(numfmts=(), xfs=(0,), style_xfs=(0,)):
    """numfmts: (id, code); xfs: numFmtId of each cellXfs entry (s= indexes these)."""
    fm = ""
    if numfmts:
        fm = f'<numFmts count="{len(numfmts)}">' + "".join(
            f'<numFmt numFmtId="{i}" formatCode="{esc_attr(c)}"/>' for i, c in numfmts) + '</numFmts>'
    sx = "".join(f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0"/>' for n in style_xfs)
    apply = ' applyNumberFormat="1"'
    cx = "".join(f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0" xfId="0"'
                 f'{apply if n else ""}/>' for n in xfs)
    return (DECL + f'<styleSheet {NS}>{fm}<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            f'<cellStyleXfs count="{len(style_xfs)}">{sx}</cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{cx}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s):
    return esc(s).replace('"', "&quot;")


def sst_xml(items):
    """items: plain strings, or raw <si> inner XML when starting with '<'."""
    si = []
    for s in items:
        if s.startswith("<"):
            si.append(f"<si>{s}</si>")
        else:
            sp = ' xml:space="preserve"' if s != s.strip() else ""
            si.append(f"<si><t{sp}>{esc(s)}</t></si>")
    return (DECL + f'<sst {NS} count="{len(items)}" uniqueCount="{len(items)}">'
            + "".join(si) + '</sst>')


def sheet_xml(rows, dim="A1"):
    """rows: raw <row> XML strings."""
    return (DECL + f'<worksheet {NS} {NS_R}><dimension ref="{dim}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f'<sheetData>{"".join(rows)}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '</worksheet>')


def write_zip(name, parts):
    """parts: list of (entry name, text or bytes). Fixed dates: reproducible."""
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, "w") as z:
        for entry, data in parts:
            info = zipfile.ZipInfo(entry, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def book(name, sheets, strings=None, styles=None, date1904=None, extra=(), targets=None,
         names=None):
    """sheets: list of (sheet name, sheet XML). targets overrides the rels targets."""
    names = names or [n for n, _ in sheets]
    if targets is None:
        targets = [("worksheet", f"worksheets/sheet{i}.xml") for i in range(1, len(sheets) + 1)]
    parts = [("[Content_Types].xml", content_types(len(sheets))), ("_rels/.rels", ROOT_RELS),
             ("xl/workbook.xml", workbook_xml(names, date1904)),
             ("xl/_rels/workbook.xml.rels",
              workbook_rels(targets, styles is not None, strings is not None))]
    if styles is not None:
        parts.append(("xl/styles.xml", styles))
    if strings is not None:
        parts.append(("xl/sharedStrings.xml", strings))
    for i, (_, xml) in enumerate(sheets, 1):
        parts.append((f"xl/worksheets/sheet{i}.xml", xml))
    parts.extend(extra)
    return write_zip(name, parts)


def one_sheet(name, rows, **kw):
    return book(name, [("Sheet1", sheet_xml(rows))], **kw)


# ---- good workbooks ----

def kinds():
    """Every kind of value, as Excel writes them: three sheets and a chart
    sheet; the second sheet ("Actions") holds the data, its header on row 3."""
    strings = sst_xml([
        "id", "title", "amount", "due", "done", "note",                  # 0-5
        "<r><t>Fix </t></r><r><rPr><b/><sz val=\"11\"/></rPr><t>the fence</t></r>",  # 6 rich text
        "  padded  ",                                                     # 7 preserved spaces
        "<t>line one_x000D_\nline two</t>",                               # 8 _x000D_ escape
        "<t>\u6771\u4eac</t><rPh sb=\"0\" eb=\"2\"><t>\u30c8\u30a6\u30ad\u30e7\u30a6</t></rPh>"
        "<phoneticPr fontId=\"1\"/>",                                     # 9 phonetic run left out
        "<t>a &lt;b&gt; &amp; &#233;&#x263A; _x005F_x0041_</t>",          # 10 entities, escaped _x
        "",                                                               # 11 empty string
        "Summary",                                                        # 12
    ])
    styles = styles_xml(
        numfmts=[(164, "yyyy-mm-dd hh:mm:ss"), (165, "h:mm"), (166, '0.0 "days"'),
                 (167, "[Red]0.00"), (168, "DD/MM/YYYY"), (169, "[$-409]mmmm\\ d\\,\\ yyyy;@"),
                 (170, "mmm"), (171, "[h]:mm:ss"), (172, "#,##0\\d")],
        #    s=0 1   2    3    4    5    6    7   8   9    10   11   12
        xfs=[0, 14, 164, 165, 166, 167, 168, 20, 22, 169, 170, 171, 172])
    actions = sheet_xml([
        # row 3: the header (rows 1-2 are not in the file)
        '<row r="3" spans="1:6"><c r="A3" t="s"><v>0</v></c><c r="B3" t="s"><v>1</v></c>'
        '<c r="C3" t="s"><v>2</v></c><c r="D3" t="s"><v>3</v></c><c r="E3" t="s"><v>4</v></c>'
        '<c r="F3" t="s"><v>5</v></c></row>',
        '<row r="4" spans="1:6"><c r="A4" t="inlineStr"><is><t>A-1</t></is></c>'
        '<c r="B4" t="s"><v>6</v></c><c r="C4"><v>1500</v></c><c r="D4" s="1"><v>45000</v></c>'
        '<c r="E4" t="b"><v>1</v></c><c r="F4" t="str"><f>IF(C4&gt;0,"ok","no")</f><v>ok</v></c></row>',
        # row 5: gaps at B and D
        '<row r="5"><c r="A5" t="inlineStr"><is><t>A-2</t></is></c><c r="C5" t="n"><v>1500.5</v></c>'
        '<c r="E5" t="b"><v>0</v></c><c r="F5" t="e"><f>NA()</f><v>#N/A</v></c></row>',
        # row 7 (row 6 missing): a date-time, rich inline text with preserved spaces
        '<row r="7"><c r="A7" t="inlineStr"><is><t>A-3</t></is></c>'
        '<c r="B7" t="inlineStr"><is><r><t xml:space="preserve">  two </t></r>'
        '<r><rPr><i/></rPr><t>runs</t></r></is></c>'
        '<c r="C7"><v>-3</v></c><c r="D7" s="2"><v>45000.75</v></c><c r="E7" t="e"><v>#REF!</v></c>'
        '<c r="F7" t="s"><v>7</v></c></row>',
        # row 8: no r= on the cells (placed by position), number forms
        '<row r="8"><c t="inlineStr"><is><t>A-4</t></is></c><c><v>0.1</v></c><c><v>1.5E3</v></c>'
        '<c><v>1E-3</v></c><c><v>0.10000000000000001</v></c><c><v>-0</v></c>'
        '<c><v>1E+21</v></c><c><v>123456789012345678</v></c><c><v>2.5E-8</v></c>'
        '<c><v>100000000000000000000</v></c><c><v>0.30000000000000004</v></c><c><v>007.50</v></c></row>',
        # row 9: formats that are not dates, and some that are
        '<row r="9"><c r="A9" s="3"><v>0.5</v></c><c r="B9" s="4"><v>2.5</v></c>'
        '<c r="C9" s="5"><v>3</v></c><c r="D9" s="6"><v>45000</v></c><c r="E9" s="7"><v>0.25</v></c>'
        '<c r="F9" s="8"><v>45000.5</v></c><c r="G9" s="9"><v>45000</v></c>'
        '<c r="H9" s="10"><v>45000</v></c><c r="I9" s="11"><v>1.5</v></c>'
        '<c r="J9" s="12"><v>7</v></c><c r="K9" s="1" t="s"><v>12</v></c></row>',
        # row 10: escapes, phonetic text, entities, an empty shared string
        '<row r="10"><c r="A10" t="s"><v>8</v></c><c r="B10" t="s"><v>9</v></c>'
        '<c r="C10" t="s"><v>10</v></c><c r="D10" t="s"><v>11</v></c>'
        '<c r="E10" t="inlineStr"><is><t>tab_x0009_x &amp; &#x1F600;</t></is></c></row>',
        # row 11: styled empty cells only -- a blank row, skipped
        '<row r="11"><c r="A11" s="1"/><c r="B11" s="1"/><c r="C11" t="s"><v>11</v></c>'
        '<c r="D11" t="s"><v> </v></c><c r="E11"><v></v></c><c r="F11" t="b"/></row>',
        # row 12: a value, then styled empty cells that do not lengthen the row
        '<row r="12"><c r="A12" t="inlineStr"><is><t>A-5</t></is></c><c r="C12"><v>42</v></c>'
        '<c r="D12" s="1"/><c r="G12" s="1"/><c r="H12" t="str"><f>""</f><v></v></c></row>',
        # trailing blank rows
        '<row r="13"><c r="A13" s="1"/></row><row r="14" ht="20" customHeight="1"/>'
        '<row r="15"><c r="B15" t="inlineStr"><is><t></t></is></c></row>',
    ], dim="A3:L15")
    summary = sheet_xml(['<row r="1"><c r="A1" t="s"><v>12</v></c></row>'])
    bobs = sheet_xml(['<row r="2"><c r="C2"><v>1</v></c></row>'])
    chart = (DECL + f'<chartsheet {NS} {NS_R}><sheetViews><sheetView workbookViewId="0"/>'
             '</sheetViews><drawing r:id="rId1"/></chartsheet>')
    # The actions sheet is named with an absolute target, the chart sheet is a chartsheet.
    targets = [("worksheet", "worksheets/sheet1.xml"),
               ("worksheet", "/xl/worksheets/sheet2.xml"),
               ("worksheet", "./worksheets/../worksheets/sheet3.xml"),
               ("chartsheet", "chartsheets/sheet1.xml")]
    book("kinds.xlsx", [("Summary", summary), ("Actions", actions), ("Bob's Q1", bobs)],
         strings=strings, styles=styles, date1904="false", targets=targets,
         names=["Summary", "Actions", "Bob&apos;s Q1", "Chart1"],
         extra=[("xl/chartsheets/sheet1.xml", chart)])


def dates(name, flag, serials):
    rows = []
    for i, (v, s) in enumerate(serials, 1):
        rows.append(f'<row r="{i}"><c r="A{i}" s="{s}"><v>{v}</v></c></row>')
    one_sheet(name, rows, styles=styles_xml(numfmts=[(164, "yyyy-mm-dd hh:mm")], xfs=[0, 14, 164]),
              date1904=flag)


def libreoffice():
    """What LibreOffice Calc writes: t="n" on numbers, every attribute
    spelled out, custom formats from 164, a cellStyleXfs entry that must not
    be taken for a cell format."""
    strings = sst_xml(["Ref", "Owner", "Due", "Cost", "Open", "R-01", "Ana Lopez", "R-02", "Ben Ode"])
    styles = (DECL + f'<styleSheet {NS}><numFmts count="2"><numFmt numFmtId="164" formatCode="General"/>'
              '<numFmt numFmtId="165" formatCode="DD/MM/YYYY"/></numFmts>'
              '<fonts count="1"><font><sz val="10"/><name val="Arial"/><family val="2"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border diagonalUp="false" diagonalDown="false"><left/><right/><top/>'
              '<bottom/><diagonal/></border></borders>'
              '<cellStyleXfs count="2"><xf numFmtId="165" fontId="0" fillId="0" borderId="0" '
              'applyFont="true" applyBorder="true" applyAlignment="true" applyProtection="true">'
              '<alignment horizontal="general" vertical="bottom" textRotation="0" wrapText="false" '
              'indent="0" shrinkToFit="false"/><protection locked="true" hidden="false"/></xf>'
              '<xf numFmtId="164" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              '<cellXfs count="4"><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
              'applyFont="false" applyBorder="false" applyAlignment="false" applyProtection="false">'
              '<alignment horizontal="general" vertical="bottom" textRotation="0" wrapText="false" '
              'indent="0" shrinkToFit="false"/><protection locked="true" hidden="false"/></xf>'
              '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyFont="false" '
              'applyBorder="false" applyAlignment="false" applyProtection="false"/>'
              '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0"/>'
              '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
              '<cellStyles count="1"><cellStyle name="Default" xfId="0" builtinId="0"/></cellStyles>'
              '</styleSheet>')
    attrs = 'customFormat="false" ht="12.8" hidden="false" customHeight="false" outlineLevel="0" collapsed="false"'
    rows = [
        f'<row r="1" {attrs}><c r="A1" s="0" t="s"><v>0</v></c><c r="B1" s="0" t="s"><v>1</v></c>'
        '<c r="C1" s="0" t="s"><v>2</v></c><c r="D1" s="0" t="s"><v>3</v></c>'
        '<c r="E1" s="0" t="s"><v>4</v></c></row>',
        f'<row r="2" {attrs}><c r="A2" s="0" t="s"><v>5</v></c><c r="B2" s="3" t="s"><v>6</v></c>'
        '<c r="C2" s="1" t="n"><v>45292</v></c><c r="D2" s="2" t="n"><v>1234.56</v></c>'
        '<c r="E2" s="0" t="b"><v>1</v></c></row>',
        f'<row r="3" {attrs}><c r="A3" s="0" t="s"><v>7</v></c><c r="B3" s="3" t="s"><v>8</v></c>'
        '<c r="C3" s="1" t="n"><v>45323</v></c><c r="D3" s="2" t="n"><v>99</v></c>'
        '<c r="E3" s="0" t="b"><v>0</v></c></row>',
        f'<row r="4" {attrs}><c r="A4" s="0"/><c r="B4" s="0"/></row>',
    ]
    sheet = (DECL + f'<worksheet {NS} {NS_R} '
             'xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
             'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
             'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
             '<sheetPr filterMode="false"><pageSetUpPr fitToPage="false"/></sheetPr>'
             '<dimension ref="A1:E4"/><sheetViews><sheetView showFormulas="false" '
             'showGridLines="true" tabSelected="true" workbookViewId="0"><selection pane="topLeft" '
             'activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
             '<sheetFormatPr defaultColWidth="11.53515625" defaultRowHeight="12.8" '
             'zeroHeight="false" outlineLevelRow="0" outlineLevelCol="0"/>'
             '<cols><col collapsed="false" customWidth="false" hidden="false" outlineLevel="0" '
             'max="1025" min="1" style="0" width="11.52"/></cols>'
             f'<sheetData>{"".join(rows)}</sheetData>'
             '<printOptions headings="false" gridLines="false" gridLinesSet="true" '
             'horizontalCentered="false" verticalCentered="false"/>'
             '<pageMargins left="0.7875" right="0.7875" top="1.05277777777778" '
             'bottom="1.05277777777778" header="0.7875" footer="0.7875"/>'
             '<headerFooter differentFirst="false" differentOddEven="false"><oddHeader>'
             '&amp;C&amp;&quot;Times New Roman,Regular&quot;&amp;12&amp;A</oddHeader>'
             '</headerFooter></worksheet>')
    book("libreoffice.xlsx", [("Sheet1", sheet)], strings=strings, styles=styles)


def prefixed():
    """Elements with a namespace prefix (x:), as some .NET writers do; no
    styles, no shared strings."""
    X = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    wb = (DECL + f'<x:workbook {X} {NS_R}><x:sheets><x:sheet name="Data" sheetId="1" r:id="rId1"/>'
          '</x:sheets></x:workbook>')
    sheet = (DECL + f'<x:worksheet {X}><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr">'
             '<x:is><x:t>name</x:t></x:is></x:c><x:c r="B1"><x:v>2</x:v></x:c></x:row>'
             '</x:sheetData></x:worksheet>')
    write_zip("prefixed.xlsx", [("[Content_Types].xml", content_types(1)), ("_rels/.rels", ROOT_RELS),
                                ("xl/workbook.xml", wb),
                                ("xl/_rels/workbook.xml.rels",
                                 workbook_rels([("worksheet", "worksheets/sheet1.xml")], False, False)),
                                ("xl/worksheets/sheet1.xml", sheet)])


# ---- hostile workbooks ----

def patch_flags(path, entry, bit):
    """Sets a general-purpose flag bit of one entry, in its local and central headers."""
    data = bytearray(open(path, "rb").read())
    name = entry.encode()
    i = 0
    while True:
        i = data.find(b"PK\x03\x04", i)
        if i < 0:
            break
        n = struct.unpack_from("<H", data, i + 26)[0]
        if data[i + 30:i + 30 + n] == name:
            data[i + 6] |= bit
        i += 4
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0:
            break
        n = struct.unpack_from("<H", data, i + 28)[0]
        if data[i + 46:i + 46 + n] == name:
            data[i + 8] |= bit
        i += 4
    open(path, "wb").write(bytes(data))


def patch_size(path, entry, size):
    """Rewrites the declared uncompressed size of one entry (a lie)."""
    data = bytearray(open(path, "rb").read())
    name = entry.encode()
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        i = 0
        while True:
            i = data.find(sig, i)
            if i < 0:
                break
            n = struct.unpack_from("<H", data, i + name_len_at)[0]
            if data[i + name_at:i + name_at + n] == name:
                struct.pack_into("<I", data, i + size_at, size)
            i += 4
    open(path, "wb").write(bytes(data))


def hostile():
    cell = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    with open(os.path.join(OUT, "notzip.xlsx"), "w") as f:
        f.write("id,title\n1,not a workbook\n")
    with open(os.path.join(OUT, "cfb.xlsx"), "wb") as f:
        f.write(bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + bytes(504))
    write_zip("nobook.xlsx", [("readme.txt", "just a zip\n")])

    p = one_sheet("encrypted.xlsx", [cell])
    patch_flags(p, "xl/worksheets/sheet1.xml", 0x01)

    # 8 MiB of blank space in a sheet: refused by a 1 MiB cap on its declared
    # size; the lying copy declares 1000 bytes and is refused by the count of
    # what is read.
    big = (DECL + f'<worksheet {NS}><sheetData>{cell}' + " " * (8 << 20)
           + '<row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>')
    book("bomb.xlsx", [("Sheet1", big)])
    p = book("bomb_lie.xlsx", [("Sheet1", big)])
    patch_size(p, "xl/worksheets/sheet1.xml", 1000)

    laughs = (DECL + '<!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
              '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>\n'
              f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol4;</t></is>'
              '</c></row></sheetData></worksheet>')
    book("doctype.xlsx", [("Sheet1", laughs)])
    xxe = (DECL + '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           f'<sst {NS} count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    book("xxe.xlsx", [("Sheet1", sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>']))],
         strings=xxe)
    wb = workbook_xml(["Sheet1"]).replace(DECL, DECL + "<!DOCTYPE workbook>\n")
    write_zip("doctype_workbook.xlsx", [("xl/workbook.xml", wb),
                                        ("xl/_rels/workbook.xml.rels",
                                         workbook_rels([("worksheet", "worksheets/sheet1.xml")], False, False)),
                                        ("xl/worksheets/sheet1.xml", sheet_xml([cell]))])

    deep = (DECL + f'<worksheet {NS}><sheetData>{cell}</sheetData><extLst>' + "<ext>" * 100
            + "</ext>" * 100 + '</extLst></worksheet>')
    book("deep.xlsx", [("Sheet1", deep)])
    one_sheet("wide.xlsx", ['<row r="1"><c r="XFD1"><v>1</v></c></row>',
                            '<row r="2"><c r="XFE2"><v>1</v></c></row>'])
    one_sheet("wide_norefs.xlsx", ['<row r="1">' + "<c><v>1</v></c>" * 16385 + '</row>'])
    malformed = (DECL + f'<worksheet {NS}>\n<sheetData>\n<row r="1">\n<c r="A1"><v>1</v></c>\n'
                 '<c r="B1"><v>2</c>\n</row>\n</sheetData>\n</worksheet>\n')
    book("malformed.xlsx", [("Sheet1", malformed)])
    one_sheet("bigcell.xlsx", [cell, '<row r="2"><c r="A2"><v>1</v></c>'
                               f'<c r="B2" t="inlineStr"><is><t>{"y" * 5000}</t></is></c></row>'])
    one_sheet("bigstring.xlsx", ['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'],
              strings=sst_xml(["x" * 5000]))
    one_sheet("manystrings.xlsx", ['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'],
              strings=sst_xml([f"string number {i}" for i in range(5000)]))
    book("missing_sheet.xlsx", [("Sheet1", sheet_xml([cell]))],
         targets=[("worksheet", "worksheets/sheet9.xml")])
    book("escape.xlsx", [("Sheet1", sheet_xml([cell]))],
         targets=[("worksheet", "../../etc/passwd")])
    one_sheet("badindex.xlsx", ['<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
                                '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'],
              strings=sst_xml(["only"]))
    one_sheet("notnumber.xlsx", ['<row r="1"><c r="A1"><v>1</v></c></row>',
                                 '<row r="2"><c r="B2"><v>12abc</v></c></row>'])
    one_sheet("unordered.xlsx", ['<row r="1"><c r="A1"><v>1</v></c></row>',
                                 '<row r="3"><c r="A3"><v>3</v></c></row>',
                                 '<row r="2"><c r="A2"><v>2</v></c></row>'])
    one_sheet("repeated.xlsx", ['<row r="1"><c r="A1"><v>1</v></c><c r="C1"><v>3</v></c>'
                                '<c r="B1"><v>2</v></c></row>'])


def big(path, rows):
    """A tracker export as Excel writes it, for measuring: shared strings,
    styles, dates, r= on every cell; 8 columns."""
    owners = ["Ana Lopez", "Ben Ode", "Chen Wei", "Dara Quinn", "Eli Moss"]
    status = ["open", "closed", "in progress", "overdue"]
    strings = ["ref", "title", "owner", "status", "raised", "due", "cost", "done"] + owners + status
    base = len(strings)
    strings += [f"Action {i}: review the control and record the evidence" for i in range(rows)]
    styles = styles_xml(numfmts=[(164, "dd/mm/yyyy")], xfs=[0, 14, 164, 4])
    head = "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCDEFGH"))
    out = [DECL + f'<worksheet {NS} {NS_R}><dimension ref="A1:H{rows + 1}"/>'
           '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25" '
           'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"/>'
           f'<sheetData><row r="1" spans="1:8">{head}</row>']
    for i in range(rows):
        r = i + 2
        out.append(
            f'<row r="{r}" spans="1:8"><c r="A{r}" t="inlineStr"><is><t>ACT-{i:07d}</t></is></c>'
            f'<c r="B{r}" t="s"><v>{base + i}</v></c><c r="C{r}" t="s"><v>{8 + i % 5}</v></c>'
            f'<c r="D{r}" t="s"><v>{13 + i % 4}</v></c><c r="E{r}" s="1"><v>{44927 + i % 700}</v></c>'
            f'<c r="F{r}" s="2"><v>{45000 + i % 900}.5</v></c><c r="G{r}" s="3"><v>{i * 7 % 100000}.25</v></c>'
            f'<c r="H{r}" t="b"><v>{i % 2}</v></c></row>')
    out.append('</sheetData></worksheet>')
    parts = [("[Content_Types].xml", content_types(1)), ("_rels/.rels", ROOT_RELS),
             ("xl/workbook.xml", workbook_xml(["Actions"])),
             ("xl/_rels/workbook.xml.rels", workbook_rels([("worksheet", "worksheets/sheet1.xml")])),
             ("xl/styles.xml", styles), ("xl/sharedStrings.xml", sst_xml(strings)),
             ("xl/worksheets/sheet1.xml", "".join(out))]
    with zipfile.ZipFile(path, "w") as z:
        for entry, data in parts:
            info = zipfile.ZipInfo(entry, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode("utf-8"))


def tracker():
    """An action tracker as a spreadsheet, for the import's end-to-end cases:
    a notes sheet first; "Actions" with a title and a blank row above its
    header, dates both as date-styled numbers and as typed text; and
    "Q1 actions", whose rows have a bad date and a bad priority."""
    import datetime
    def serial(y, m, d):
        return (datetime.date(y, m, d) - datetime.date(1899, 12, 30)).days
    words = ["Read me", "This workbook is the vetting tracker.", "Action tracker 2022/23",
             "Action ID", "Area", "Priority", "Due", "Revised", "A-001", "vetting", "high",
             "30/06/2022", "A-002", "medium", "A-003", "low", "soon", "urgent"]
    strings = sst_xml(words)
    idx = {w: i for i, w in enumerate(words)}
    def s(ref, w):
        return f'<c r="{ref}" t="s"><v>{idx[w]}</v></c>'
    def d(ref, y, m, dd):
        return f'<c r="{ref}" s="1"><v>{serial(y, m, dd)}</v></c>'
    def row(r, cells):
        return f'<row r="{r}">{"".join(cells)}</row>'
    header = [s("A3", "Action ID"), s("B3", "Area"), s("C3", "Priority"), s("D3", "Due"),
              s("E3", "Revised")]
    notes = sheet_xml([row(1, [s("A1", "Read me")]),
                       row(2, [s("A2", "This workbook is the vetting tracker.")])])
    actions = sheet_xml([
        row(1, [s("A1", "Action tracker 2022/23")]),
        row(3, header),
        row(4, [s("A4", "A-001"), s("B4", "vetting"), s("C4", "high"), d("D4", 2022, 3, 31),
                s("E4", "30/06/2022")]),
        row(5, [s("A5", "A-002"), s("B5", "vetting"), s("C5", "medium"), d("D5", 2022, 9, 30)]),
        row(6, [s("A6", "A-003"), s("B6", "vetting"), s("C6", "low"), d("D6", 2022, 12, 31)]),
    ], dim="A1:E6")
    q1 = sheet_xml([
        row(3, header),
        row(4, [s("A4", "A-001"), s("B4", "vetting"), s("C4", "high"), d("D4", 2022, 3, 31)]),
        row(5, [s("A5", "A-002"), s("B5", "vetting"), s("C5", "medium"), s("D5", "soon")]),
        row(6, [s("A6", "A-003"), s("B6", "vetting"), s("C6", "urgent"), d("D6", 2022, 6, 30)]),
    ], dim="A3:E6")
    book("tracker.xlsx", [("Read me", notes), ("Actions", actions), ("Q1 actions", q1)],
         strings=strings, styles=styles_xml(xfs=[0, 14]))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--big":
        big(sys.argv[3], int(sys.argv[2]))
        return
    os.makedirs(OUT, exist_ok=True)
    kinds()
    dates("dates1900.xlsx", None,
          [(1, 1), (59, 1), (60, 1), (61, 1), (45000, 1), (45000.25, 2), (0.5, 2), (-1, 1),
           (2958465, 1), (2958466, 1), (45000.99999999, 2), (45000.0000001, 2)])
    dates("dates1904.xlsx", "1", [(0, 1), (1, 1), (59, 1), (60, 1), (43538, 1), (43538.5, 2)])
    libreoffice()
    prefixed()
    tracker()
    hostile()


if __name__ == "__main__":
    main()
