# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- the board pack: assure report ----

MET_MAP=$ROOT/mappings/met-2021-22/map.yaml
STATES=$FX/mapstate

# The Met example recorded as a run (as at the Audit Panel of 3 October 2022)
# in $T/met.db, and its exception list as JSON in $T/met.json.
report_met_run() {
    local args=() f
    for f in "$ROOT"/fixtures/met-2021-22/*.csv; do args+=(--export "$(basename "$f" .csv)=$f"); done
    "$ASSURE" run --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --as-of 2022-10-03 -q \
        --output "json:$T/met.json" "${args[@]}" >/dev/null 2>&1
    [ $? -le 1 ] || fail "could not record the Met example's run"
}

# The figure in the page marked data-count="$2".
count_in() { grep -o "data-count=\"$2\">[0-9]*" "$1" | head -1 | sed 's/.*>//'; }
# A value of the run's JSON counts, by a Python expression over it (j).
json_val() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A browser, or skip: the tests that need one are skipped (77) without it.
browser() {
    local b
    for b in chromium chromium-browser; do
        command -v "$b" >/dev/null && { echo "$b"; return; }
    done
    echo "no chromium: install it (scripts/setup.sh) to run this case" >&2
    exit 77
}
# Headless Chromium, never under ASSURE_WRAP: it is not ours to check.
headless() {
    timeout 60 "$(browser)" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --user-data-dir="$T/profile" --enable-logging=stderr --v=0 "$@"
}

# The report of the Met example holds every section, and its figures are
# those of the run: findings, each severity, new, every finding listed, the
# rules that ran, the overdue actions the data holds.
case_report_met_numbers() {
    report_met_run
    run report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --output "$T/met.html"
    expect_rc 0
    [ -s "$T/err" ] && fail "problems on standard error"
    local h=$T/met.html s
    for s in summary map findings ageing appendix; do
        grep -q "<section id=\"$s\"" "$h" || fail "the report has no $s section"
    done
    [ "$(count_in "$h" findings)" = "$(json_val "$T/met.json" "j['counts']['findings']")" ] ||
        fail "findings: $(count_in "$h" findings) in the page"
    for s in high medium low; do
        [ "$(count_in "$h" $s)" = "$(json_val "$T/met.json" "j['counts']['by_severity']['$s']")" ] ||
            fail "$s: $(count_in "$h" $s) in the page"
    done
    [ "$(count_in "$h" listed)" = "$(json_val "$T/met.json" "len(j['findings'])")" ] ||
        fail "the appendix lists $(count_in "$h" listed) findings"
    [ "$(grep -c '<td class="sev-' "$h")" = "$(count_in "$h" listed)" ] ||
        fail "the appendix's rows do not match its count"
    [ "$(count_in "$h" high-listed)" = "$(count_in "$h" high)" ] || fail "high-severity list"
    [ "$(count_in "$h" rules)" = "$(json_val "$T/met.json" "j['counts']['rules_run']")" ] ||
        fail "rules: $(count_in "$h" rules)"
    [ "$(count_in "$h" new)" = "$(json_val "$T/met.json" "j['counts']['findings']")" ] ||
        fail "the first run's findings are all new"
    [ "$(count_in "$h" overdue-actions)" = "$(sql "$T/met.db" \
        "SELECT count(*) FROM audit_actions WHERE open = 1 AND due < '2022-10-03'")" ] ||
        fail "overdue actions: $(count_in "$h" overdue-actions)"
    grep -q 'data-as-of="2022-10-03"' "$h" || fail "no as-of date"
    grep -q 'Assurance report: Metropolitan Police Service' "$h" || fail "no organisation"
    # what a board member must see in the map: the suspended DQEAB, the
    # missing Level 2 for internal control and organisational learning, the
    # Limited audits, the out-of-date data-quality assurance
    grep -q 'st-suspended" data-area="data_quality" data-line="L2".*Limited, 30 Nov 2021 (307 days old; limit 180).*Data Quality Ethics Assurance Board (suspended).*out of date' "$h" ||
        fail "the suspended, out-of-date DQEAB cell"
    grep -q 'st-planned" data-area="internal_control" data-line="L2".*required: no active assurance' "$h" ||
        fail "internal control, Level 2"
    grep -q 'st-planned" data-area="org_learning" data-line="L2".*required: no active assurance' "$h" ||
        fail "organisational learning, Level 2"
    grep -q 'st-weak" data-area="data_quality" data-line="L3".*Weak.*Limited, 28 May 2021' "$h" ||
        fail "the Limited data quality audit"
    grep -q 'st-weak" data-area="partnerships" data-line="L3".*Limited, 27 May 2021' "$h" ||
        fail "the Limited Met Detention audit"
    # self-contained: no scripts, nothing fetched
    grep -qiE '<script|src=|href=|url\(|@import' "$h" && fail "the report loads or runs something"
    grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$h" || fail "no CSP"
    # the same run on standard output is the same page (not under the
    # wrapper again: loading the rules' titles forks a worker per rule)
    "$ASSURE" report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" >"$T/stdout.html" ||
        fail "no report on standard output"
    cmp -s "$T/stdout.html" "$h" || fail "standard output differs from --output"
}

# In Chromium at 1280 x 900: no console errors (a Content-Security-Policy
# violation is one), no horizontal overflow, every section laid out.
case_report_met_browser() {
    browser >/dev/null
    report_met_run
    "$ASSURE" report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" -o "$T/met.html" ||
        fail "no report"
    # the page as written, with a probe appended: inline scripts allowed,
    # everything else still refused
    sed -e "s/default-src 'none'; style-src 'unsafe-inline'/default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'/" \
        -e 's#</body>#<script>var d=document.documentElement,s=[].map.call(document.querySelectorAll("section"),function(e){return e.id+":"+(e.getBoundingClientRect().height>0)}).join(",");document.body.insertAdjacentHTML("beforeend","<pre id=probe>overflow="+(d.scrollWidth>window.innerWidth)+" width="+d.scrollWidth+" sections="+s+"</pre>")</script></body>#' \
        "$T/met.html" >"$T/probe.html"
    headless --window-size=1280,900 --dump-dom "file://$T/probe.html" >"$T/dom" 2>"$T/browser.err"
    grep -q '<pre id="probe">' "$T/dom" || { cat "$T/browser.err" >&2; fail "the probe did not run"; }
    grep -q 'overflow=false' "$T/dom" || fail "horizontal overflow at 1280 px: $(grep -o 'width=[0-9]*' "$T/dom")"
    grep -q 'sections=summary:true,map:true,findings:true,ageing:true,appendix:true' "$T/dom" ||
        fail "sections laid out: $(grep -o 'sections=[^<]*' "$T/dom")"
    grep -q ':CONSOLE' "$T/browser.err" && fail "console messages: $(grep ':CONSOLE' "$T/browser.err")"
    # and on a phone: the map's cells stack, the page does not overflow
    # (headless Chromium lays a 390 px window out at its narrowest, 500 px)
    headless --window-size=390,844 --dump-dom "file://$T/probe.html" >"$T/dom" 2>"$T/browser.err"
    grep -q 'overflow=false' "$T/dom" || fail "horizontal overflow on a phone: $(grep -o 'width=[0-9]*' "$T/dom")"
    true
}

# A screenshot at 1280 x 900 and a print to PDF on A4 landscape.
case_report_met_print() {
    browser >/dev/null
    report_met_run
    "$ASSURE" report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" -o "$T/met.html" ||
        fail "no report"
    headless --window-size=1280,900 --screenshot="$T/met.png" "file://$T/met.html" >/dev/null 2>&1
    [ "$(od -An -tx1 -j16 -N8 "$T/met.png" | tr -d ' \n')" = "0000050000000384" ] ||
        fail "the screenshot is not 1280 x 900"
    headless --no-pdf-header-footer --print-to-pdf="$T/met.pdf" "file://$T/met.html" >/dev/null 2>&1
    [ -s "$T/met.pdf" ] || fail "no PDF"
    grep -aq '/MediaBox \[0 0 841.91998 594.95996\]' "$T/met.pdf" || fail "not A4 landscape"
    local pages
    pages=$(grep -acE '/Type /Page($|[^s])' "$T/met.pdf")
    [ "$pages" -ge 5 ] || fail "$pages pages: each major section starts a page"
}

# A small map with every cell state: each cell of the matrix has its
# state's words and class; CSV and JSON say the same.
case_report_every_state() {
    "$ASSURE" import --map "$STATES/map.yaml" --db "$T/db" --as-of 2022-10-03 \
        "assurance_evidence=$STATES/assurance_evidence.csv" \
        "audit_engagements=$STATES/audit_engagements.csv" >/dev/null 2>&1 || fail "no import"
    run report --map "$STATES/map.yaml" --db "$T/db" --section map --as-of 2022-10-03
    expect_rc 0
    local cell
    for cell in current/L1/assured/Assured current/L2/weak/Weak "current/L3/stale/Out of date" \
        current/EXT/missing/Missing gaps/L1/suspended/Suspended "gaps/L2/planned/Planned only" \
        "gaps/L3/not-required/Not required" "gaps/EXT/unrated/No rated report"; do
        IFS=/ read -r area line class words <<<"$cell"
        grep -q "<td class=\"cell st-$class\" data-area=\"$area\" data-line=\"$line\".*<strong class=\"state\">$words</strong>" "$T/out" ||
            fail "$area/$line is not $class ($words)"
    done
    [ "$(grep -c '<td class="cell st-[a-z-]*" data-area=' "$T/out")" = 8 ] || fail "not 8 cells"
    grep -q '<section id="summary"' "$T/out" && fail "--section map holds more than the map"
    expect_out 'Limited, 30 Jun 2022 (95 days old)'
    expect_out 'Adequate, 30 Jun 2021 (460 days old; limit 365)'
    run report --map "$STATES/map.yaml" --db "$T/db" --format csv --as-of 2022-10-03
    expect_rc 0
    expect_out ',current,Custody and detention,L2,Oversight (second line),weak,Weak,yes,Custody oversight board,2022-06-30,Limited,2,EV-3,95,730,no,yes,'
    expect_out ',gaps,Records management,L1,Management (first line),suspended,Suspended,yes,Records self-assessment (suspended),2020-06-30,Limited,2,EV-4,825,730,yes,yes,'
    run report --map "$STATES/map.yaml" --db "$T/db" --format json --as-of 2022-10-03
    expect_rc 0
    [ "$(/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(",".join(c["area"]+"/"+c["line"]+"="+c["state"] for c in j["cells"]))' <"$T/out")" = \
        "current/L1=assured,current/L2=weak,current/L3=stale,current/EXT=missing,gaps/L1=suspended,gaps/L2=planned,gaps/L3=not-required,gaps/EXT=unrated" ] ||
        fail "the JSON matrix"
}

# With no recorded run the check runs on the spot (--rules); without
# --rules the whole report cannot be made and says so.
case_report_without_run() {
    good_db
    run report --map "$MAP" --db "$T/db"
    expect_rc 64
    expect_err "the database holds no recorded run; give --rules DIR to run the check now"
    run report --map "$MAP" --db "$T/db" --run 1
    expect_rc 64
    expect_err "the database holds no recorded run"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03 --format json -o "$T/c.json"
    run report --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03 -o "$T/r.html"
    expect_rc 0
    grep -q 'from a check run now' "$T/r.html" || fail "does not say the check ran now"
    [ "$(count_in "$T/r.html" findings)" = "$(json_val "$T/c.json" "j['counts']['findings']")" ] ||
        fail "findings: $(count_in "$T/r.html" findings)"
    [ "$(count_in "$T/r.html" rules)" = "$(json_val "$T/c.json" "j['counts']['rules_run']")" ] ||
        fail "rules: $(count_in "$T/r.html" rules)"
    grep -q 'data-count="rules-failed"' "$T/r.html" && fail "no rule failed"
    # a rule that crashes: the report says its findings are missing
    ASSURE_TEST_CRASH_RULE=high-actions run report --map "$MAP" --db "$T/db" --rules "$FX/rules" \
        --as-of 2022-10-03
    expect_rc 0
    [ "$(count_in "$T/out" rules-failed)" = 1 ] || fail "the failed rule is not told of"
    expect_out 'rule failed</strong>: its findings are missing from this report'
    expect_out '<tr><td>high-actions</td><td>High-priority actions</td><td>crash</td>'
}

# Two runs: the later is compared with the earlier, or with the one --since
# names; --run reports an earlier run; wrong runs are usage errors.
case_report_since() {
    report_met_run
    "$ASSURE" run --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --as-of 2022-11-03 -q \
        --output "json:$T/met2.json" >/dev/null 2>&1
    run report --map "$MET_MAP" --db "$T/met.db"
    expect_rc 0
    expect_out 'Compared with run 1 (as at 3 Oct 2022)'
    expect_out '<span data-run="2">2</span>'
    [ "$(count_in "$T/out" findings)" = "$(json_val "$T/met2.json" "j['counts']['findings']")" ] ||
        fail "run 2's findings"
    [ "$(count_in "$T/out" new)" = "$(json_val "$T/met2.json" "j['history']['new']")" ] ||
        fail "new since run 1: $(count_in "$T/out" new)"
    [ "$(count_in "$T/out" resolved)" = "$(json_val "$T/met2.json" "j['history']['resolved']")" ] ||
        fail "resolved since run 1: $(count_in "$T/out" resolved)"
    expect_out 'run 1</text>'
    expect_out 'run 2</text>'
    run report --map "$MET_MAP" --db "$T/met.db" --since 2022-10-31
    expect_rc 0
    expect_out 'Compared with run 1'
    run report --map "$MET_MAP" --db "$T/met.db" --run 1
    expect_rc 0
    expect_out 'This is the first recorded run'
    expect_out 'data-as-of="2022-10-03"'
    run report --map "$MET_MAP" --db "$T/met.db" --run 9
    expect_rc 64
    expect_err "there is no run 9; the runs recorded are 1 to 2"
    run report --map "$MET_MAP" --db "$T/met.db" --since 2021-01-01
    expect_rc 64
    expect_err "--since: no run was recorded as of 2021-01-01 or earlier"
    run report --map "$MET_MAP" --db "$T/met.db" --since soon
    expect_rc 64
    expect_err "--since takes a run number or a date"
    run report --map "$MET_MAP" --db "$T/met.db" --run 1 --since 2
    expect_rc 64
    expect_err "--since 2 names run 2; the comparison must be a run before run 1"
    # the map changed since the run: the report says the picture is of the map as it is now
    sed -e "s#include: .*#include: [$ROOT/mappings/standard/datasets.yaml]#" "$MET_MAP" >"$T/map.yaml"
    echo "# changed" >>"$T/map.yaml"
    "$ASSURE" import --map "$T/map.yaml" --db "$T/met.db" >/dev/null 2>&1 || fail "no map reload"
    run report --map "$T/map.yaml" --db "$T/met.db"
    expect_rc 0
    expect_err "run 2 was recorded with another version of the map"
    expect_out 'this run was recorded with another version of the map'
    run report --map "$MET_MAP" --db "$T/met.db"
    expect_rc 65
}

# Everything from the map and the data is escaped; the output never
# replaces an input; bad options are usage errors; a database of another
# map is refused.
case_report_escapes_and_refusals() {
    sed -e "s#include: .*#include: [$ROOT/mappings/standard/datasets.yaml]#" \
        -e 's#title: Custody and detention#title: "<script>alert(1)</script> \& \\"Custody\\" \x27n\x27 detention"#' \
        "$STATES/map.yaml" >"$T/map.yaml"
    "$ASSURE" import --map "$T/map.yaml" --db "$T/db" --as-of 2022-10-03 \
        "assurance_evidence=$STATES/assurance_evidence.csv" >/dev/null 2>&1 || fail "no import"
    run report --map "$T/map.yaml" --db "$T/db" --section map --as-of 2022-10-03
    expect_rc 0
    expect_out '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Custody&quot; &#39;n&#39; detention'
    grep -qi '<script' "$T/out" && fail "a title became markup"
    run report --map "$T/map.yaml" --db "$T/db" --section map --as-of 2022-10-03 --output "$T/db"
    expect_rc 73
    run report --map "$T/map.yaml" --db "$T/db" --format xml
    expect_rc 64
    expect_err "--format takes html, csv, json or xlsx, not 'xml'"
    run report --map "$T/map.yaml" --db "$T/db" --section summary
    expect_rc 64
    run report --map "$MAP" --db "$T/db" --section map
    expect_rc 65
    expect_err "the database holds a different version of the map"
    run report --map "$T/map.yaml" --db "$T/nothing.db" --section map
    expect_rc 66
}

# Waivers: those in force on the run's date and those expiring within 30
# days are counted; the finding a waiver covers is not.
case_report_waivers() {
    local night=$FX/nightly
    "$ASSURE" run --map "$night/map.yaml" --db "$T/db" --rules "$night/rules" --as-of 2023-01-31 -q \
        --export audit_actions="$night/actions-1.csv" --export waivers="$night/waivers.yaml" \
        --output json:"$T/run.json" >/dev/null 2>&1
    run report --map "$night/map.yaml" --db "$T/db"
    expect_rc 0
    # A-1's and A-99's waivers are in force (A-3's expired on 2023-01-15)
    [ "$(count_in "$T/out" waivers)" = 2 ] || fail "waivers in force: $(count_in "$T/out" waivers)"
    [ "$(count_in "$T/out" waivers-expiring)" = 0 ] || fail "none expires within 30 days"
    [ "$(count_in "$T/out" findings)" = "$(json_val "$T/run.json" "j['counts']['findings']")" ] ||
        fail "findings: $(count_in "$T/out" findings)"
    expect_out '1 finding covered by a waiver in force is listed apart and not counted.'
    "$ASSURE" run --map "$night/map.yaml" --db "$T/db" --rules "$night/rules" --as-of 2023-06-10 -q \
        >/dev/null 2>&1
    run report --map "$night/map.yaml" --db "$T/db"
    expect_rc 0
    [ "$(count_in "$T/out" waivers-expiring)" = 2 ] ||
        fail "both expire on 2023-06-30: $(count_in "$T/out" waivers-expiring)"
}

# The map's combined-assurance column: one cell per area, its score the one
# the map's JSON gives, "below" exactly where the standard rule
# combined-assurance-below-required flags the area (one computation), and
# the scoring explained under the map with the map's own weights.
case_report_combined_assurance() {
    report_met_run
    run report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --section map \
        --output "$T/map.html"
    expect_rc 0
    run report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --section map \
        --format json --output "$T/map.json"
    expect_rc 0
    /usr/bin/python3 - "$T/map.html" "$T/map.json" "$T/met.json" >"$T/err.py" 2>&1 <<'PY' ||
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
areas = json.load(open(sys.argv[2]))["areas"]
findings = json.load(open(sys.argv[3]))["findings"]
cells = re.findall(r'<td class="ca ca-(\w+)" data-area="([^"]+)" data-ca="\w+" data-score="([0-9.]+)"', html)
assert len(cells) == len(areas) == 16, (len(cells), len(areas))
by_area = {a["area"]: a for a in areas}
for cls, area, score in cells:
    a = by_area[area]
    assert float(score) == a["combined_score"], (area, score, a["combined_score"])
    want = "none" if a["required_assurance"] is None else ("below" if a["below_required"] else "meets")
    assert cls == want, (area, cls, want)
flagged = {f["area"] for f in findings if f["rule"] == "combined-assurance-below-required"}
below = {a["area"] for a in areas if a["below_required"]}
assert flagged == below and len(below) == 9, (flagged, below)
assert by_area["financial_management"]["below_required"] is False
assert by_area["data_quality"]["combined_score"] == 3.8
m = re.search(r'data-count="below-required">(\d+)<', html)
assert m and int(m.group(1)) == 9, m
assert "How combined assurance is scored" in html
assert "Management (first line) 1, Oversight (second line) 2" in html
assert "Levels: Low from 30, Medium from 50, High from 70" in html
# the data-quality cell: the words, the required level, what it rests on
dq = re.search(r'data-area="data_quality" data-ca="below".*?</td>', html, re.S).group(0)
assert "Below the level required" in dq and "Requires Medium (50)" in dq, dq
assert "BCU Level 1 inspections" in dq, dq
PY
        { cat "$T/err.py" >>"$T/err"; fail "the combined-assurance column"; }
    # the CSV matrix carries the same per area
    run report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --section map --format csv
    expect_rc 0
    grep -q '^C,.*,data_quality,.*,L1,.*,0.375,bcu_l1,3.8,,Medium,50,yes' "$T/out" ||
        fail "the CSV's combined columns: $(grep ',data_quality,.*,L1,' "$T/out")"
}

# The appendix as a workbook: every finding of the recorded run, cell by cell
# and type by type the run's JSON (an independent reader, openpyxl), the
# waived ones on their own sheet; the same from a check run on the spot; and
# the refusals: the map alone has no workbook, a terminal gets no bytes.
case_report_appendix_xlsx() {
    report_met_run
    run report --map "$MET_MAP" --db "$T/met.db" --rules "$ROOT/rules" --format xlsx \
        --output "$T/app.xlsx"
    expect_rc 0
    "$PY" "$XLSX_CHECK" "$T/app.xlsx" "$T/met.json" --run 1 2>>"$T/err" ||
        fail "the appendix workbook and the run's JSON differ"
    # a run with a waiver in force: the waived finding on the Waived sheet
    local night=$FX/nightly
    "$ASSURE" run --map "$night/map.yaml" --db "$T/night.db" --rules "$night/rules" \
        --as-of 2023-01-31 -q --export audit_actions="$night/actions-1.csv" \
        --export waivers="$night/waivers.yaml" --output json:"$T/night.json" >/dev/null 2>&1
    run report --map "$night/map.yaml" --db "$T/night.db" --rules "$night/rules" --format xlsx \
        --output "$T/night.xlsx"
    expect_rc 0
    "$PY" "$XLSX_CHECK" "$T/night.xlsx" "$T/night.json" --run 1 2>>"$T/err" ||
        fail "the waived findings' workbook and the run's JSON differ"
    # no run recorded: the check runs on the spot; the workbook is its list
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03 --format json \
        --output "$T/spot.json"
    run report --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03 --format xlsx \
        --output "$T/spot.xlsx"
    expect_rc 0
    "$PY" "$XLSX_CHECK" "$T/spot.xlsx" "$T/spot.json" 2>>"$T/err" ||
        fail "the spot check's workbook and its JSON differ"
    run report --map "$MET_MAP" --db "$T/met.db" --section map --format xlsx --output "$T/x.xlsx"
    expect_rc 64
    expect_err "--section map comes as html, csv or json"
    [ -e "$T/x.xlsx" ] && fail "a workbook was left for a refused command"
    if command -v script >/dev/null; then
        script -qec "$ASSURE report --map $MET_MAP --db $T/met.db --format xlsx" /dev/null \
            >"$T/out" 2>&1 </dev/null
        grep -q "give --output FILE.xlsx" "$T/out" || fail "a terminal was not refused"
    fi
}
