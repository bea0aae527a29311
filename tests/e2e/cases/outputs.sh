# Exception lists that open well: the Excel workbook, CSV for a double-click,
# text wrapped to the terminal. Sourced by tests/e2e/e2e.sh.

PY=/usr/bin/python3 # Debian's, where python3-openpyxl is importable
XLSX_CHECK=$ROOT/tests/e2e/xlsx_check.py

need_openpyxl() {
    "$PY" -c 'import openpyxl' 2>/dev/null || {
        echo "SKIP: $PY cannot import openpyxl (Debian: python3-openpyxl)" >&2
        exit 77
    }
}

# A rule whose findings start with = + - @ everywhere a rule's text can go:
# subject, message, owner, evidence. Each must stay text.
formula_rule() {
    mkdir -p "$T/frules"
    cat >"$T/frules/formulas.lua" <<'LUA'
return { id = "formulas", title = "t", severity = "high", category = "gap", description = "d",
  check = function(ctx)
    local bad = { "=HYPERLINK(\"http://x.invalid\",\"click\")", "+1+2", "-3+4", "@SUM(A1)",
                  "=1+1", "-", "Café — naïve ✓" }
    for i, s in ipairs(bad) do
      ctx:flag{ subject = s, message = s, owner = s, area = "vetting",
                evidence = { text = s, n = i, when = "2022-0" .. i .. "-01", code = "007" } }
    end
  end }
LUA
}

# The workbook of the Met example, read back by openpyxl and compared with
# the JSON of the same check: every cell, its type (text, number, date), the
# reading order, the frozen header and the autofilter, the Summary's facts.
case_outputs_xlsx_matches_json() {
    need_openpyxl
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json \
        --output "$T/list.json"
    expect_rc 1
    mkdir "$T/out.d"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format xlsx \
        --output "$T/out.d/list.xlsx"
    expect_rc 1
    [ "$(ls -A "$T/out.d")" = list.xlsx ] || fail "files left beside the output: $(ls -A "$T/out.d")"
    [ "$(head -c 2 "$T/out.d/list.xlsx")" = PK ] || fail "not a zip file"
    "$PY" "$XLSX_CHECK" "$T/out.d/list.xlsx" "$T/list.json" 2>"$T/err" ||
        fail "the workbook and the JSON differ"
    # to standard output when it is not a terminal: the same workbook
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format xlsx
    expect_rc 1
    cp "$T/out" "$T/stdout.xlsx"
    "$PY" "$XLSX_CHECK" "$T/stdout.xlsx" "$T/list.json" 2>"$T/err" || fail "the workbook on stdout differs"
}

# --xlsx-by-group: a sheet per business group (findings with none last),
# each holding exactly that group's findings, checked like the Findings sheet.
case_outputs_xlsx_sheet_per_business_group() {
    need_openpyxl
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json \
        --output "$T/list.json"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format xlsx \
        --xlsx-by-group --output "$T/list.xlsx"
    expect_rc 1
    "$PY" "$XLSX_CHECK" "$T/list.xlsx" "$T/list.json" --by-group 2>"$T/err" ||
        fail "the group sheets and the JSON differ"
    "$PY" -c 'import openpyxl, sys; print(openpyxl.load_workbook(sys.argv[1]).sheetnames)' \
        "$T/list.xlsx" >"$T/out"
    expect_out "'Corporate Services', 'Digital Policing', 'Frontline Policing', 'Met Operations', 'Professionalism', 'No business group'"
}

# Cells that start with = + - @ are strings in the workbook (never formulas),
# exactly as the rule wrote them; the CSV guards them with an apostrophe.
case_outputs_formulas_stay_text() {
    need_openpyxl
    good_db
    formula_rule
    run check --map "$MAP" --db "$T/db" --rules "$T/frules" --as-of 2022-10-03 --format json \
        --output "$T/list.json"
    expect_rc 1
    run check --map "$MAP" --db "$T/db" --rules "$T/frules" --as-of 2022-10-03 --format xlsx \
        --output "$T/list.xlsx"
    expect_rc 1
    "$PY" "$XLSX_CHECK" "$T/list.xlsx" "$T/list.json" 2>"$T/err" || fail "the workbook and the JSON differ"
    # and, independently of the comparison: the raw cells
    "$PY" - "$T/list.xlsx" >"$T/out" 2>"$T/err" <<'PY' || fail "formula check failed"
import openpyxl, sys
ws = openpyxl.load_workbook(sys.argv[1])["Findings"]
head = [c.value for c in ws[1]]
for row in ws.iter_rows(min_row=2):
    for name in ("Subject", "Message", "Owner", "Evidence: text"):
        c = row[head.index(name)]
        assert c.data_type == "s", (c.coordinate, c.data_type, c.value)
        print(repr(c.value))
    code = row[head.index("Evidence: code")]
    assert code.data_type == "s" and code.value == "007", code.value  # a leading zero stays text
PY
    expect_out "'=HYPERLINK(\"http://x.invalid\",\"click\")'"
    expect_out "'@SUM(A1)'"
    expect_out "'-3+4'"
    expect_out "'Café — naïve ✓'"
    # the workbook's own XML holds no formula element at all
    "$PY" -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.exit(any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")))' \
        "$T/list.xlsx" || fail "a formula in the sheet XML"
    run check --map "$MAP" --db "$T/db" --rules "$T/frules" --as-of 2022-10-03 --format csv --no-bom
    expect_rc 1
    expect_out "formulas,high,gap,\"'=HYPERLINK(\"\"http://x.invalid\"\",\"\"click\"\")\","
    expect_out "formulas,high,gap,\"'@SUM(A1)\",\"'@SUM(A1)\","
}

# An .xlsx output is refused like any other where it would replace an input
# or is not a regular file, before any rule runs; a failure leaves the old file.
case_outputs_xlsx_output_refused() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --format xlsx --output "$T/db"
    expect_rc 73
    expect_err "the database"
    mkdir "$T/dir.xlsx"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --format xlsx --output "$T/dir.xlsx"
    expect_rc 73
    echo "previous list" >"$T/old.xlsx"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --format xlsx --output "$T/old.xlsx" \
        --rule nosuchrule
    expect_rc 64
    [ "$(cat "$T/old.xlsx")" = "previous list" ] || fail "the old file was touched"
    [ "$(ls "$T" | grep -c '^old.xlsx')" = 1 ] || fail "temporary files left: $(ls "$T")"
}

# assure run writes the workbook among its outputs, with the run's number on
# the Summary sheet.
case_outputs_xlsx_from_run() {
    need_openpyxl
    run run --map "$MAP" --db "$T/run.db" --rules "$FX/rules" --as-of 2022-10-03 \
        --export actions="$FX/actions.csv" --export engagements="$FX/engagements.json" \
        --output xlsx:"$T/list.xlsx" --output json:"$T/list.json"
    [ "$RC" -le 2 ] || fail "run failed"
    "$PY" "$XLSX_CHECK" "$T/list.xlsx" "$T/list.json" --run 1 2>"$T/err" ||
        fail "the run's workbook and its JSON differ"
}

# CSV starts with a UTF-8 byte-order mark (so a double-click shows accents
# right), or not with --no-bom; everything after it is the same.
case_outputs_csv_bom() {
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format csv
    expect_rc 1
    [ "$(head -c 3 "$T/out" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "no byte-order mark"
    cp "$T/out" "$T/bom.csv"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format csv --no-bom
    expect_rc 1
    [ "$(head -c 4 "$T/out")" = rule ] || fail "--no-bom: the file does not start with the header"
    tail -c +4 "$T/bom.csv" | cmp -s - "$T/out" || fail "with and without the BOM differ beyond it"
    # --no-bom is for CSV; elsewhere it changes nothing
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json --no-bom
    expect_rc 1
    [ "$(head -c 1 "$T/out")" = "{" ] || fail "JSON changed"
}

# CSV rows in reading order: severity, then business group (none last), then
# rule and subject; organisation and as-of on every row; evidence.NAME columns
# holding each finding's evidence values.
case_outputs_csv_order_and_columns() {
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format csv --no-bom
    expect_rc 1
    "$PY" - "$T/out" >"$T/err.py" 2>&1 <<'PY' || { cat "$T/err.py" >>"$T/err"; fail "CSV order or columns wrong"; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
assert len(rows) == 48, len(rows)
sev = {"high": 0, "medium": 1, "low": 2}
key = [(sev[r["severity"]], r["business_group"] == "", r["business_group"], r["rule"], r["subject"]) for r in rows]
assert key == sorted(key), "not in reading order"
assert {r["organisation"] for r in rows} == {"Metropolitan Police Service"}
assert {r["as_of"] for r in rows} == {"2022-10-03"}
for r in rows:
    joined = dict(kv.split("=", 1) for kv in r["evidence"].split("; ")) if r["evidence"] else {}
    joined = {k: v for k, v in joined.items() if v}  # a null value is an empty cell
    split = {k[len("evidence."):]: v for k, v in r.items() if k.startswith("evidence.") and v}
    assert joined == split, (r["rule"], r["subject"], joined, split)
assert rows[0]["severity"] == "high" and rows[-1]["severity"] == "low"
print("ok")
PY
}

# Text wraps to $COLUMNS: no line longer than it, the message on its own
# indented line when the columns would overflow, no word cut; at 200 most of
# the Met example's messages sit beside their rule and subject.
case_outputs_text_wraps_to_columns() {
    example_db
    cd "$ROOT" || fail "no project root"
    local w
    for w in 60 80 200; do
        COLUMNS=$w run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03
        expect_rc 1
        cp "$T/out" "$T/text.$w"
        "$PY" - "$T/out" "$w" <<'PY' >"$T/err.py" 2>&1 || { cat "$T/err.py" >>"$T/err"; fail "text at $w columns"; }
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
width = int(sys.argv[2])
long = [l for l in lines if len(l) > width]
assert not long, long[:3]
assert not [l for l in lines if l.endswith(" ")], "trailing spaces"
PY
    done
    # every message whole once the lines are joined again (no word cut or lost)
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json \
        --output "$T/list.json"
    cat >"$T/whole.py" <<'PY'
import json, sys, re
doc = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    flat = re.sub(r"\s+", " ", open(path, encoding="utf-8").read())
    for f in doc["findings"]:
        assert f["message"] in flat, (path, f["message"])
PY
    "$PY" "$T/whole.py" "$T/list.json" "$T/text.60" "$T/text.80" "$T/text.200" 2>>"$T/err" ||
        fail "a message was cut"
    grep -q '^    required-line-missing  *internal_control/L2  *Assurance controls, Levels 1 and 2: no active' "$T/text.200" ||
        fail "at 200 columns the message is not beside its rule"
    grep -q '^    long-outstanding-actions  *A-BR-01$' "$T/text.80" ||
        fail "at 80 columns the long message is not on its own line"
    grep -q '^      Develop a system to manage' "$T/text.80" || fail "the message is not indented"
    # 'due: 2021-09-30' is not broken between its label and its value
    grep -q 'due:$' "$T/text.60" && fail "a label was left at the end of a line"
    # the Met example's 48 findings at 80 columns: under 5 lines a finding (the
    # old layout took 196 lines for 39 findings, wrapping mid-word)
    [ "$(wc -l <"$T/text.80")" -lt $((5 * 48)) ] || fail "the 80-column list is $(wc -l <"$T/text.80") lines"
}

# A terminal gets no workbook bytes: --format xlsx without --output is a usage
# error there (script(1) gives the command a terminal).
case_outputs_xlsx_not_to_a_terminal() {
    command -v script >/dev/null || { echo "SKIP: no script(1)" >&2; exit 77; }
    good_db
    script -qec "$ASSURE check --map $MAP --db $T/db --rules $FX/rules --format xlsx" /dev/null \
        >"$T/out" 2>"$T/err" </dev/null
    RC=$?
    expect_rc 64
    expect_out "give --output FILE.xlsx"
    grep -q PK "$T/out" && fail "workbook bytes reached the terminal"
    true
}
