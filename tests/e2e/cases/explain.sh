# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- explained findings: typed evidence, parameters, rows, assure explain ----

MET_MAP=$ROOT/mappings/met-2021-22/map.yaml
MET_FX=$ROOT/fixtures/met-2021-22

# A recorded run of four standard rules over the Met example, in $T/db.
explain_met_run() {
    mkdir -p "$T/rules"
    local r
    for r in overdue-actions maturity-below-target required-line-missing survey-confidence-low; do
        cp "$ROOT/rules/$r.lua" "$T/rules/"
    done
    local ex=() f
    for f in "$MET_FX"/*.csv; do ex+=(--export "$(basename "$f" .csv)=$f"); done
    "$ASSURE" run --map "$MET_MAP" --db "$T/db" --rules "$T/rules" --as-of 2022-10-03 "${ex[@]}" \
        --output "jsonl:$T/run.jsonl" >/dev/null 2>&1
    [ -s "$T/run.jsonl" ] || fail "the Met run wrote no exception list"
}

# The fingerprint of rule $1's finding for subject $2 in the recorded run.
met_fp() {
    sql "$T/db" "SELECT fingerprint FROM assure_run_findings WHERE rule = '$1' AND subject = '$2'"
}

# assure explain of a recorded finding gives what re-performing it needs:
# the rule's words, the parameter, the evidence, the date arithmetic and the
# row's values as imported; a unique prefix gives the same explanation.
case_explain_recorded_finding() {
    explain_met_run
    local fp
    fp=$(met_fp overdue-actions A-BR-01)
    [ ${#fp} -eq 16 ] || fail "no overdue-actions finding for A-BR-01 recorded: '$fp'"
    run explain "$fp" --db "$T/db"
    expect_rc 0
    expect_out "Finding $fp  rule overdue-actions, medium, overdue"
    expect_out "  Audit action overdue"
    expect_out "is more than grace_days before the evaluation date."
    expect_out "As of: 2022-10-03 (recorded run 1)"
    expect_out "  grace_days = 0  (integer)"
    expect_out "  days_late    = 368  (integer)"
    expect_out "  original_due = 2021-09-30  (date)"
    expect_out "  original_due 2021-09-30, as of 2022-10-03: 368 days earlier"
    expect_out "  audit_actions A-BR-01  (the data the rule read)"
    expect_out "    priority          medium"
    cp "$T/out" "$T/full.txt"
    run explain "${fp:0:6}" --db "$T/db"
    expect_rc 0
    cmp -s "$T/out" "$T/full.txt" || fail "a unique prefix explains differently from the fingerprint"
    # upper case and --run 1 name the same finding
    run explain "$(echo "${fp:0:8}" | tr a-f A-F)" --db "$T/db" --run 1
    expect_rc 0
    cmp -s "$T/out" "$T/full.txt" || fail "an upper-case prefix with --run 1 explains differently"
    # a composite key and the map's own elements are looked up too
    run explain "$(met_fp maturity-below-target organisation)" --db "$T/db"
    expect_out "  maturity_assessments organisation, 2022-03-31  (the data the rule read)"
    expect_out "    target_level  4"
    run explain "$(met_fp required-line-missing data_quality/L2)" --db "$T/db"
    expect_rc 0
    expect_out "  map.areas data_quality  (the data the rule read)"
    expect_out "  map.sources dqeab"
}

# Unknown, malformed, too short and ambiguous fingerprints, and a database
# with no run: each a clear message and its documented exit code.
case_explain_unknown_fingerprint() {
    explain_met_run
    run explain 0123456789abcdef --db "$T/db"
    expect_rc 66
    expect_err "no finding with fingerprint '0123456789abcdef' in run 1 (as of 2022-10-03)"
    run explain not-hex --db "$T/db"
    expect_rc 64
    expect_err "'not-hex' is not a fingerprint"
    run explain abc --db "$T/db"
    expect_rc 64
    expect_err "at least its first 4"
    run explain --db "$T/db"
    expect_rc 64
    expect_err "give the fingerprint of the finding to explain"
    run explain 0123 --db "$T/db" --map "$MET_MAP"
    expect_rc 64
    expect_err "--map and --rules go together"
    # two findings sharing a prefix: both are listed
    local fp
    fp=$(met_fp overdue-actions A-BR-01)
    sql "$T/db" "CREATE TEMP TABLE t AS SELECT * FROM assure_run_findings WHERE fingerprint = '$fp';
                 UPDATE t SET fingerprint = '${fp:0:5}00000000000', subject = 'twin';
                 INSERT INTO assure_run_findings SELECT * FROM t;"
    run explain "${fp:0:5}" --db "$T/db"
    expect_rc 64
    expect_err "fingerprint prefix '${fp:0:5}' matches 2 findings; give more digits:"
    expect_err "${fp:0:5}00000000000  overdue-actions  twin"
    run explain "${fp:0:6}" --db "$T/db"
    expect_rc 0
    # imported but never run: nothing recorded to explain
    "$ASSURE" import --map "$MAP" --db "$T/fresh.db" actions="$FX/actions.csv" >/dev/null 2>&1 ||
        fail "could not import"
    run explain 0123 --db "$T/fresh.db"
    expect_rc 66
    expect_err "no run is recorded: 'assure run' records one"
}

# JSON carries typed values: numbers as numbers, booleans as booleans,
# dates as YYYY-MM-DD strings -- in the exception list, in the history and
# in the explanation.
case_explain_json_types() {
    explain_met_run
    local fp
    fp=$(met_fp survey-confidence-low 2021/22/Q10)
    run explain "$fp" --db "$T/db" --format json
    expect_rc 0
    cp "$T/out" "$T/survey.json"
    run explain "$(met_fp overdue-actions A-BR-01)" --db "$T/db" --format json
    expect_rc 0
    cp "$T/out" "$T/overdue.json"
    /usr/bin/python3 - "$T/run.jsonl" "$T/survey.json" "$T/overdue.json" >"$T/py" 2>&1 <<'PY' ||
import json, re, sys
date = re.compile(r"^\d{4}-\d{2}-\d{2}$")
lines = [json.loads(l) for l in open(sys.argv[1])]
findings = [l for l in lines if l.get("type") == "finding"]
assert findings, "no findings in the list"
for f in findings:
    assert f["as_of"] == "2022-10-03", f
    assert isinstance(f["params"], dict), f
    assert f["rows"] and f["rows_total"] >= len(f["rows"]), f
    for r in f["rows"]:
        assert set(r) == {"dataset", "key"}, r
od = [f for f in findings if f["rule"] == "overdue-actions"][0]
assert type(od["evidence"]["days_late"]) is int, od["evidence"]
assert date.match(od["evidence"]["original_due"]), od["evidence"]
assert type(od["params"]["grace_days"]) is int, od["params"]
s = json.load(open(sys.argv[2]))
assert s["rule"] == "survey-confidence-low" and s["run"] == 1, s
assert s["evidence"]["no_above_max"] is True and type(s["evidence"]["yes_pct"]) is int, s
assert s["params"] == {"max_no_pct": 5, "min_yes_pct": 60}, s["params"]
assert s["rows"][0]["dataset"] == "survey_results" and s["rows"][0]["found_in"] == "run", s
assert s["rows"][0]["values"]["question"] == "Q10", s["rows"][0]
assert s["rows"][0]["values"]["yes_pct"] == 46, s["rows"][0]  # numbers as numbers
o = json.load(open(sys.argv[3]))
assert o["title"] == "Audit action overdue" and "grace_days" in o["description"], o
assert {"name": "original_due", "date": "2021-09-30", "days_before_as_of": 368} in o["dates"], o
assert o["evidence"]["days_late"] == 368 and o["params"]["grace_days"] == 0, o
assert o["rows"][0]["values"]["action_id"] == "A-BR-01", o["rows"]
PY
        { cat "$T/py" >&2; fail "JSON types"; }
}

# With --map and --rules the rules run now; check --explain explains every
# finding, the same as assure explain of each.
case_explain_on_the_spot_and_check_explain() {
    explain_met_run
    local fp
    fp=$(met_fp overdue-actions A-BR-01)
    mkdir -p "$T/one" # one rule: quick under valgrind
    cp "$ROOT/rules/overdue-actions.lua" "$T/one/"
    run explain "${fp:0:8}" --db "$T/db" --map "$MET_MAP" --rules "$T/one" --as-of 2022-10-03
    expect_rc 0
    expect_out "As of: 2022-10-03 (a check run now)"
    expect_out "  original_due 2021-09-30, as of 2022-10-03: 368 days earlier"
    # the output is written atomically and never over an input
    run explain "${fp:0:8}" --db "$T/db" --output "$T/db"
    expect_rc 73
    run explain "${fp:0:8}" --db "$T/db" --map "$MET_MAP" --rules "$T/one" \
        --output "$T/one/overdue-actions.lua"
    expect_rc 73
    run explain "${fp:0:8}" --db "$T/db" --format json --output "$T/one.json"
    expect_rc 0
    /usr/bin/python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['fingerprint'] == sys.argv[2]" \
        "$T/one.json" "$fp" || fail "explain --output"
    run check --map "$MET_MAP" --db "$T/db" --rules "$T/one" --as-of 2022-10-03 --explain
    expect_rc 1
    expect_out "Finding $fp  rule overdue-actions, medium, overdue"
    [ "$(grep -c '^Finding ' "$T/out")" = "$(grep '"type": "finding"' "$T/run.jsonl" | grep -c '"rule": "overdue-actions"')" ] ||
        fail "check --explain explains $(grep -c '^Finding ' "$T/out") findings"
    run check --map "$MET_MAP" --db "$T/db" --rules "$T/one" --as-of 2022-10-03 --explain \
        --format json --output "$T/all.json"
    expect_rc 1
    /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['explanations']) > 3 and all(e['rule'] == 'overdue-actions' for e in d['explanations'])" \
        "$T/all.json" || fail "check --explain --format json"
    run check --map "$MET_MAP" --db "$T/db" --rules "$T/one" --explain --format csv
    expect_rc 64
    expect_err "--explain writes text or json"
}

# Data imported since the run: the row is shown from the snapshot of the
# run's as-of date, which the history keeps, not from the newer data.
case_explain_rows_from_the_runs_snapshot() {
    explain_met_run
    local fp
    fp=$(met_fp overdue-actions A-BR-01)
    sed 's/A-BR-01,\(.*\)Develop a system/A-BR-01,\1CHANGED since the run: develop a system/' \
        "$MET_FX/audit_actions.csv" >"$T/audit_actions.csv"
    grep -q CHANGED "$T/audit_actions.csv" || fail "the fixture's A-BR-01 row was not changed"
    "$ASSURE" import --map "$MET_MAP" --db "$T/db" --as-of 2022-11-01 \
        audit_actions="$T/audit_actions.csv" >/dev/null 2>&1 || fail "could not import the newer data"
    run explain "$fp" --db "$T/db"
    expect_rc 0
    expect_out "audit_actions A-BR-01  (the data as of 2022-10-03, kept in the history)"
    expect_no_err "CHANGED"
    grep -qF "CHANGED" "$T/out" && fail "the explanation shows data imported after the run"
    true
}

# A database of the schema before explained findings (version 2), read
# without being upgraded: its findings are still explained, with what it
# recorded.
case_explain_older_database() {
    explain_met_run
    local fp
    fp=$(met_fp overdue-actions A-BR-01)
    sql "$T/db" "ALTER TABLE assure_run_findings DROP COLUMN as_of;
                 ALTER TABLE assure_run_findings DROP COLUMN params;
                 ALTER TABLE assure_run_findings DROP COLUMN rows;
                 ALTER TABLE assure_run_findings DROP COLUMN rows_total;
                 ALTER TABLE assure_run_rules DROP COLUMN title;
                 ALTER TABLE assure_run_rules DROP COLUMN description;
                 ALTER TABLE assure_run_rules DROP COLUMN category;
                 PRAGMA user_version = 2;"
    run explain "$fp" --db "$T/db"
    expect_rc 0
    expect_out "Finding $fp  rule overdue-actions, medium,"
    expect_out "As of: (not recorded) (recorded run 1)"
    expect_out "  days_late    = 368  (integer)"
    expect_out "  (none named by the rule)"
}

# What a rule gives as rows and evidence is checked and typed: rows name
# datasets of the map (or its own elements) with a key; a rule's mistakes
# are rule failures naming the problem; past 20 rows only the count grows.
case_explain_rows_and_types_from_a_rule() {
    good_db
    mkdir -p "$T/rules"
    flag_rule() { # id rows
        cat >"$T/rules/$1.lua" <<LUA
return { id = "$1", title = "t", severity = "low", category = "gap", description = "d",
  check = function(ctx)
    local many = {}
    for i = 1, 25 do many[i] = { "actions", "A-" .. i } end
    ctx:flag{ subject = "s", message = "m", rows = $2,
              evidence = { n = 3, x = 2.5, yes = true, day = "2022-03-31", word = "2022-3-31" } }
  end }
LUA
    }
    flag_rule good '{ { "actions", "A-001" }, { dataset = "map.areas", key = "vetting" } }'
    flag_rule many 'many'
    flag_rule names '{ actions = "A-001" }'
    flag_rule nodata '{ { "nope", "x" } }'
    run check --map "$MAP" --db "$T/db" --rules "$T/rules" --as-of 2022-10-03 --format json
    expect_rc 2
    /usr/bin/python3 - "$T/out" >"$T/py" 2>&1 <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
f = {x["rule"]: x for x in d["findings"]}
g = f["good"]
assert g["rows"] == [{"dataset": "actions", "key": "A-001"},
                     {"dataset": "map.areas", "key": "vetting"}], g
assert g["evidence"] == {"day": "2022-03-31", "n": 3, "word": "2022-3-31", "x": 2.5,
                         "yes": True}, g["evidence"]
m = f["many"]
assert len(m["rows"]) == 20 and m["rows_total"] == 25, m
fails = {x["rule"]: x["message"] for x in d["failures"]}
assert "rows must be a list of {dataset, key}, not a table of names" in fails["names"], fails
assert "the map declares no dataset 'nope'" in fails["nodata"], fails
PY
        { cat "$T/py" >&2; fail "rows and types from a rule"; }
    # and the explanation counts what it does not list
    rm "$T/rules/names.lua" "$T/rules/nodata.lua"
    run check --map "$MAP" --db "$T/db" --rules "$T/rules" --as-of 2022-10-03 --explain
    expect_rc 1
    expect_out "Rows it rests on (20 listed of 25):"
    expect_out "  actions A-001  (the data the rule read)"
    grep -q '^    note  *Vetting IT system, delayed$' "$T/out" || fail "A-001's note is not shown"
    expect_out "  map.areas vetting  (the data the rule read)"
    expect_out "  day  = 2022-03-31  (date)"
    expect_out "  word = 2022-3-31  (text)"
    expect_out "  x    = 2.5  (number)"
}
