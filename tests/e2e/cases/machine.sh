# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- machine-readable output: JUnit for check, JSON for validate and
# import, --output on every verb that writes a report ----

# Runs python over a file with a real parser: py FILE 'expression' (the
# parsed document is d; for XML, d is the root element).
py_json() { /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
py_xml() { /usr/bin/python3 -c 'import xml.etree.ElementTree as E, sys; d = E.parse(sys.argv[1]).getroot(); print(eval(sys.argv[2]))' "$@"; }

# Rules for the JUnit cases: one that fires (with text needing escaping),
# one that stays quiet, one that fails.
junit_rules() {
    mkdir -p "$T/r"
    cp "$FX/rules/high-actions.lua" "$FX/rules/quiet.lua" "$T/r/"
    cat >"$T/r/marks.lua" <<'LUA'
return {
  id = "marks", title = "Markup in findings", severity = "high", category = "info",
  description = "Flags one finding whose text XML must escape.",
  check = function(ctx)
    ctx:flag{ subject = "<A&B>", message = "say \"hi\" & 'bye' <now>\1 then\nmore" }
  end,
}
LUA
    cat >"$T/r/breaks.lua" <<'LUA'
return {
  id = "breaks", title = "Fails", severity = "low", category = "info",
  description = "Raises an error every time.",
  check = function(ctx) error("broken on purpose") end,
}
LUA
}

case_check_junit_parsed() {
    good_db
    junit_rules
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --as-of 2022-10-03 --format junit
    expect_rc 2 # a rule failed; the others' results still come
    cp "$T/out" "$T/j.xml"
    [ "$(py_xml "$T/j.xml" '(d.tag, d.get("tests"), d.get("failures"), d.get("errors"))')" = "('testsuites', '4', '2', '1')" ] ||
        fail "counts: $(head -3 "$T/j.xml")"
    [ "$(py_xml "$T/j.xml" '[(t.get("name"), len(t.findall("failure")), len(t.findall("error"))) for t in d.iter("testcase")]')" = "[('breaks', 0, 1), ('high-actions', 1, 0), ('marks', 1, 0), ('quiet', 0, 0)]" ] ||
        fail "testcases: $(cat "$T/j.xml")"
    [ "$(py_xml "$T/j.xml" 'next(d.iter("error")).get("type")')" = "runtime" ] || fail "the error's type"
    py_xml "$T/j.xml" 'next(d.iter("error")).get("message")' | grep -q "broken on purpose" ||
        fail "the error's message"
    # escaped, and read back as written (the control character as \x01)
    [ "$(py_xml "$T/j.xml" '[f.get("message") for t in d.iter("testcase") if t.get("name") == "marks" for f in t.iter("failure")][0].split(chr(10))[0]')" = "<A&B>: say \"hi\" & 'bye' <now>\\x01 then" ] ||
        fail "escaping: $(grep -A2 'name="marks"' "$T/j.xml")"
    py_xml "$T/j.xml" '[f.text for f in d.iter("failure") if f.get("type") == "high"][0]' | grep -qx "more" ||
        fail "the failure text lost the message's second line"
    # the same failures as the JSON list has findings
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --as-of 2022-10-03 --format json
    [ "$(py_json "$T/out" 'd["counts"]["findings"]')" = 2 ] || fail "the JSON list has other findings"
    # --output: atomic, never over an input
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --as-of 2022-10-03 --format junit -o "$T/out.xml"
    expect_rc 2
    # the same document, apart from the rules' times
    [ "$(sed 's/ time="[0-9.]*"//' "$T/out.xml")" = "$(sed 's/ time="[0-9.]*"//' "$T/j.xml")" ] ||
        fail "--output differs from standard output"
    cp "$T/r/quiet.lua" "$T/quiet.before"
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --format junit -o "$T/r/quiet.lua"
    expect_rc 73
    cmp -s "$T/r/quiet.lua" "$T/quiet.before" || fail "a rule file was replaced"
}

case_check_profile_json() {
    good_db
    mkdir -p "$T/r"
    cp "$FX/rules/high-actions.lua" "$FX/rules/notes.lua" "$FX/rules/quiet.lua" "$T/r/"
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --as-of 2022-10-03 --profile-json "$T/p.json"
    expect_rc 1
    [ ! -s "$T/err" ] || fail "--profile-json wrote to standard error"
    [ "$(py_json "$T/p.json" 'sorted(r["rule"] for r in d["profile"])')" = "['high-actions', 'notes', 'quiet']" ] ||
        fail "profile: $(cat "$T/p.json")"
    [ "$(py_json "$T/p.json" '[r["findings"] for r in d["profile"] if r["rule"] == "high-actions"][0]')" = 1 ] ||
        fail "high-actions' findings in the profile"
    cp "$T/r/quiet.lua" "$T/before.lua"
    run check --map "$MAP" --db "$T/db" --rules "$T/r" --profile-json "$T/r/quiet.lua"
    expect_rc 73
    cmp -s "$T/r/quiet.lua" "$T/before.lua" || fail "a rule file was replaced"
}

case_validate_json() {
    run validate --map "$FX/maps/schema_errors.yaml" --format json
    expect_rc 78
    [ ! -s "$T/err" ] || fail "JSON mode wrote to standard error"
    cp "$T/out" "$T/v.json"
    [ "$(py_json "$T/v.json" 'd["valid"], d["errors"], len(d["problems"])')" = "(False, 8, 8)" ] ||
        fail "summary: $(head -8 "$T/v.json")"
    [ "$(py_json "$T/v.json" '[(p["line"], p["column"], p["path"]) for p in d["problems"]][0]')" = "(4, 36, 'units[1].parent')" ] ||
        fail "first problem: $(py_json "$T/v.json" 'd["problems"][0]')"
    py_json "$T/v.json" 'd["problems"][0]["message"]' | grep -q "no unit with id 'WEST'" || fail "message"
    py_json "$T/v.json" 'd["problems"][0]["file"]' | grep -q "schema_errors.yaml$" || fail "file"
    # a valid map: the summary
    run validate --map "$MAP" --rules "$FX/rules" --format json -o "$T/ok.json"
    expect_rc 0
    [ "$(py_json "$T/ok.json" 'd["valid"], d["counts"]["areas"], d["rules"]["valid"], d["problems"]')" = "(True, 2, 4, [])" ] ||
        fail "valid map: $(cat "$T/ok.json")"
    # a missing map is a problem too, exit 66
    run validate --map "$T/none.yaml" --format json
    expect_rc 66
    [ "$(py_json "$T/out" 'd["valid"], d["problems"][0]["line"]')" = "(False, None)" ] || fail "missing map"
    # --output never replaces the map
    cp "$MAP" "$T/map.yaml"
    run validate --map "$T/map.yaml" -o "$T/map.yaml"
    expect_rc 73
    cmp -s "$MAP" "$T/map.yaml" || fail "the map was replaced"
    run validate --map "$MAP" -o "$T/v.txt"
    expect_rc 0
    grep -q "valid map for Test Constabulary" "$T/v.txt" || fail "text report not in the --output file"
}

case_import_json() {
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 --format json \
        actions="$FX/actions.csv" engagements="$FX/engagements.json"
    expect_rc 0
    cp "$T/out" "$T/i.json"
    [ "$(py_json "$T/i.json" 'd["imported"], [(x["dataset"], x["outcome"], x["rows"], x["replaced"]) for x in d["datasets"]]')" = "(True, [('actions', 'imported', 3, None), ('engagements', 'imported', 2, None)])" ] ||
        fail "datasets: $(cat "$T/i.json")"
    [ "$(py_json "$T/i.json" 'd["datasets"][0]["sha256"]')" = "$(sha256sum <"$FX/actions.csv" | cut -d' ' -f1)" ] ||
        fail "the hash is not the file's"
    [ "$(py_json "$T/i.json" 'd["datasets"][0]["size"]')" = "$(stat -c %s "$FX/actions.csv")" ] || fail "size"
    # again: unchanged, replacing what it is
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 --format json -o "$T/again.json" actions="$FX/actions.csv"
    expect_rc 0
    [ "$(py_json "$T/again.json" '[(x["outcome"], x["rows"], x["replaced"]) for x in d["datasets"]]')" = "[('unchanged', 3, 3)]" ] ||
        fail "unchanged: $(cat "$T/again.json")"
    # rejected: every problem with its place, nothing stored changed
    local before
    before=$(db_state "$T/db")
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 --format json actions="$FX/data/bad_values.csv"
    expect_rc 65
    [ "$(db_state "$T/db")" = "$before" ] || fail "a rejected import changed the database"
    cp "$T/out" "$T/bad.json"
    [ "$(py_json "$T/bad.json" 'd["imported"], d["status"], d["datasets"][0]["outcome"], d["errors"] > 0')" = "(False, 65, 'not imported', True)" ] ||
        fail "rejected: $(head -12 "$T/bad.json")"
    [ "$(py_json "$T/bad.json" '[(p["line"], p["path"]) for p in d["problems"] if "urgent" in p["message"]]')" = "[(3, 'Priority')]" ] ||
        fail "the bad priority's place: $(py_json "$T/bad.json" 'd["problems"]')"
    # an --output that would replace an export is refused before anything is imported
    cp "$FX/actions.csv" "$T/a.csv"
    run import --map "$MAP" --db "$T/db" --format json -o "$T/a.csv" actions="$T/a.csv"
    expect_rc 73
    cmp -s "$FX/actions.csv" "$T/a.csv" || fail "the export was replaced"
    [ "$(db_state "$T/db")" = "$before" ] || fail "the database changed"
}

case_test_and_rules_output() {
    mkdir -p "$T/r"
    cp "$FX/rules/high-actions.lua" "$T/r/"
    cat >"$T/r/high-actions.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: fires for high priority
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-31}
    expect:
      - {subject: A-001}
YAML
    run test --rules "$T/r" --map "$MAP" --format junit -o "$T/t.xml"
    expect_rc 0
    [ ! -s "$T/out" ] || fail "the report went to standard output too"
    [ "$(py_xml "$T/t.xml" 'd.get("tests"), d.get("failures")')" = "('1', '0')" ] || fail "test --output: $(cat "$T/t.xml")"
    cp "$T/r/high-actions.test.yaml" "$T/before.yaml"
    run test --rules "$T/r" --map "$MAP" -o "$T/r/high-actions.test.yaml"
    expect_rc 73
    cmp -s "$T/r/high-actions.test.yaml" "$T/before.yaml" || fail "a test file was replaced"
    run rules --rules "$T/r" --format json -o "$T/rules.json"
    expect_rc 0
    py_json "$T/rules.json" 'd' | grep -q "high-actions" || fail "rules --output: $(cat "$T/rules.json")"
    cp "$T/r/high-actions.lua" "$T/before.lua"
    run rules --rules "$T/r" -o "$T/r/high-actions.lua"
    expect_rc 73
    cmp -s "$T/r/high-actions.lua" "$T/before.lua" || fail "a rule file was replaced"
}
