"""Reads an exception list written by 'assure check --format xlsx' with an
independent reader (openpyxl) and compares it with the same run's JSON,
cell by cell and type by type.

    /usr/bin/python3 xlsx_check.py LIST.xlsx LIST.json [--by-group] [--run N]

Exits 0 when they agree, 1 with the differences on stderr, 77 when openpyxl
is missing (the test is then skipped). Test-only: never used by assure.
"""
import datetime
import json
import re
import sys

try:
    import openpyxl
except ImportError:
    print("openpyxl is not installed (Debian: python3-openpyxl)", file=sys.stderr)
    sys.exit(77)

FIXED = [("Severity", "severity"), ("Business group", "business_group"), ("Rule", "rule"),
         ("Subject", "subject"), ("Message", "message"), ("Owner", "owner"), ("Due", "due"),
         ("Area", "area"), ("Unit", "unit"), ("Line", "line"), ("Principle", "principle"),
         ("Category", "category"), ("State", "state"), ("First seen", "first_seen"),
         ("Age (days)", "age_days"), ("Fingerprint", "fingerprint")]
DATES = {"due", "first_seen"}
SEVERITY = {"high": 0, "medium": 1, "low": 2}
problems = []


def bad(msg):
    problems.append(msg)


def typed(value):
    """What the workbook should hold for an evidence value, from its JSON
    (typed evidence): numbers as numbers, booleans as booleans, dates
    ("YYYY-MM-DD", which rules flag as dates) as dates, other text as text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        try:
            return datetime.datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return value
    return value


def same(cell, want, where):
    """want: None (empty), bool, str, datetime, or a number."""
    got = cell.value
    if want is None:
        if got is not None:
            bad(f"{where}: expected an empty cell, found {got!r}")
        return
    if isinstance(want, bool):
        if cell.data_type != "b" or got is not want:
            bad(f"{where}: expected the boolean {want}, found {got!r} (type {cell.data_type})")
    elif isinstance(want, str):
        if cell.data_type != "s" or got != want:
            bad(f"{where}: expected the text {want!r}, found {got!r} (type {cell.data_type})")
    elif isinstance(want, datetime.datetime):
        if not isinstance(got, datetime.datetime) or got != want:
            bad(f"{where}: expected the date {want:%Y-%m-%d}, found {got!r}")
    else:
        if cell.data_type != "n" or isinstance(got, bool) or got is None or float(got) != float(want):
            bad(f"{where}: expected the number {want}, found {got!r} (type {cell.data_type})")


def check_sheet(ws, findings, name, waived=False):
    if ws.freeze_panes != "A2":
        bad(f"{name}: the header row is not frozen (freeze_panes {ws.freeze_panes})")
    header = [c.value for c in ws[1]]
    n_fixed = len(FIXED) + (1 if waived else 0)
    if header[:len(FIXED)] != [h for h, _ in FIXED]:
        bad(f"{name}: header {header[:len(FIXED)]}")
        return
    if waived and header[len(FIXED)] != "Waiver":
        bad(f"{name}: no Waiver column")
    evidence = []
    for h in header[n_fixed:]:
        if not h or not h.startswith("Evidence: "):
            bad(f"{name}: unexpected column {h!r}")
            return
        evidence.append(h[len("Evidence: "):])
    last = openpyxl.utils.get_column_letter(len(header))
    want_ref = f"A1:{last}{len(findings) + 1}"
    if ws.auto_filter.ref != want_ref:
        bad(f"{name}: autofilter {ws.auto_filter.ref}, expected {want_ref}")
    rows = list(ws.iter_rows(min_row=2))
    if len(rows) != len(findings):
        bad(f"{name}: {len(rows)} rows, expected {len(findings)}")
    # reading order: severity, then business group (none last), then rule, subject
    def key(f):
        bg = f.get("business_group")
        return (SEVERITY[f["severity"]], bg is None, bg or "", f["rule"], f["subject"])
    by_fp = {f["fingerprint"]: f for f in findings}
    seen = []
    for i, row in enumerate(rows, start=2):
        fp = row[len(FIXED) - 1].value
        f = by_fp.get(fp)
        if f is None:
            bad(f"{name} row {i}: fingerprint {fp!r} is not in the JSON")
            continue
        seen.append(f)
        for k, (h, field) in enumerate(FIXED):
            v = f.get(field)
            if v is not None and field in DATES:
                v = datetime.datetime.strptime(v, "%Y-%m-%d")
            elif field == "age_days" and v is not None:
                v = float(v)
            same(row[k], v, f"{name}!{row[k].coordinate} ({h})")
        if waived:
            same(row[len(FIXED)], f.get("waiver"), f"{name}!{row[len(FIXED)].coordinate} (Waiver)")
        ev = f.get("evidence", {})
        for e, ename in enumerate(evidence):
            c = row[n_fixed + e]
            same(c, typed(ev[ename]) if ename in ev else None,
                 f"{name}!{c.coordinate} (evidence {ename})")
        for ename in ev:
            if ename not in evidence:
                bad(f"{name} row {i}: evidence {ename} has no column")
    if not waived and seen != sorted(seen, key=key):
        bad(f"{name}: rows are not in reading order (severity, business group, rule, subject)")
    # never a formula, anywhere
    for row in ws.iter_rows():
        for c in row:
            if c.data_type == "f":
                bad(f"{name}!{c.coordinate}: a formula: {c.value!r}")


def facts(ws):
    out = {}
    for row in ws.iter_rows():
        if row[0].value is not None and len(row) > 1:
            out[row[0].value] = row[1]
    return out


def main():
    args = sys.argv[1:]
    by_group = "--by-group" in args
    run = None
    if "--run" in args:
        run = args[args.index("--run") + 1]
    path, json_path = args[0], args[1]
    doc = json.load(open(json_path, encoding="utf-8"))
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    if names[:2] != ["Summary", "Findings"]:
        bad(f"sheets {names}")
    s = facts(wb["Summary"])
    counts = doc["counts"]
    for label, want in [("Organisation", doc["organisation"]),
                        ("As of", datetime.datetime.strptime(doc["as_of"], "%Y-%m-%d")),
                        ("Findings", counts["findings"]),
                        ("High", counts["by_severity"]["high"]),
                        ("Medium", counts["by_severity"]["medium"]),
                        ("Low", counts["by_severity"]["low"]),
                        ("Waived (not counted)", counts["waived"]),
                        ("Rules run", counts["rules_run"]),
                        ("Rules failed", counts["rules_failed"]),
                        ("Map hash", doc["map_hash"]), ("Rules hash", doc["rules_hash"])]:
        if label not in s:
            bad(f"Summary: no {label}")
        else:
            same(s[label], want, f"Summary ({label})")
    if run is not None:
        if "Run" not in s:
            bad("Summary: no Run")
        else:
            same(s["Run"], run, "Summary (Run)")
    check_sheet(wb["Findings"], doc["findings"], "Findings")
    if doc.get("waived"):
        if "Waived" not in names:
            bad("no Waived sheet")
        else:
            check_sheet(wb["Waived"], doc["waived"], "Waived", waived=True)
    elif "Waived" in names:
        bad("a Waived sheet with nothing waived")
    groups = sorted({f.get("business_group") for f in doc["findings"]}, key=lambda g: (g is None, g or ""))
    group_sheets = [n for n in names if n not in ("Summary", "Findings", "Waived")]
    if by_group:
        want = [g if g is not None else "No business group" for g in groups]
        if group_sheets != want:
            bad(f"group sheets {group_sheets}, expected {want}")
        else:
            for g, n in zip(groups, group_sheets):
                check_sheet(wb[n], [f for f in doc["findings"] if f.get("business_group") == g], n)
    elif group_sheets:
        bad(f"sheets per group without --xlsx-by-group: {group_sheets}")
    for p in problems[:40]:
        print(p, file=sys.stderr)
    if len(problems) > 40:
        print(f"... and {len(problems) - 40} more", file=sys.stderr)
    sys.exit(1 if problems else 0)


main()
