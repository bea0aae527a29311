# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- map coverage: the cells of the map the rules were seen to watch ----

# Reads a field of `assure test --format json` output with a real JSON
# parser: cov_json 'python expression over d' (d is the parsed document).
cov_json() {
    /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
m = {(c["area"], c["line"]): c for c in d["coverage"]["matrix"]}
print(eval(sys.argv[2]))' "$T/out" "$1"
}

# overdue-actions on the example map: it is credited to the cells of the
# areas whose actions its cases read (vetting and digital), to no other; it
# is tested where it was seen both firing and quiet (vetting), and only
# quiet in digital, whose actions were never overdue.
case_map_coverage_credits_areas_read() {
    mkdir -p "$T/r"
    cp "$ROOT/rules/overdue-actions.lua" "$T/r/"
    cat >"$T/r/overdue-actions.test.yaml" <<'YAML'
rule: overdue-actions
cases:
  - name: vetting overdue, digital not yet due
    as_of: 2022-10-03
    data:
      audit_actions:
        - {action_id: A-1, area: vetting, description: x, priority: medium,
           original_due: 2022-06-30, status: in progress}
        - {action_id: A-2, area: digital, description: y, priority: medium,
           original_due: 2023-06-30, status: in progress}
    expect:
      - {subject: A-1}
  - name: vetting not yet due
    as_of: 2022-10-03
    data:
      audit_actions:
        - {action_id: A-3, area: vetting, description: x, priority: medium,
           original_due: 2023-01-31, status: in progress}
    expect: []
YAML
    run test --rules "$T/r" --map "$ROOT/mappings/met-2021-22/map.yaml" --coverage --format json
    expect_rc 0
    [ "$(cov_json 'sorted({a for (a, l), c in m.items() if "overdue-actions" in c["rules"]})')" = "['digital', 'vetting']" ] ||
        fail "overdue-actions is credited to: $(cov_json 'sorted({a for (a, l), c in m.items() if c["rules"]})')"
    [ "$(cov_json '[m[("vetting", l)]["status"] for l in ("L1", "L2", "L3", "EXT")]')" = "['tested', 'tested', 'tested', 'tested']" ] ||
        fail "vetting cells: $(cov_json 'm[("vetting", "L1")]')"
    [ "$(cov_json 'm[("digital", "L2")]["status"], m[("digital", "L2")]["quiet"], m[("digital", "L2")]["fired"]')" = "('untested', ['overdue-actions'], [])" ] ||
        fail "digital cell: $(cov_json 'm[("digital", "L2")]')"
    [ "$(cov_json 'm[("engagement", "L1")]["status"], m[("engagement", "L1")]["n_rules"]')" = "('uncovered', 0)" ] ||
        fail "engagement cell: $(cov_json 'm[("engagement", "L1")]')"
    # the summary counts: 16 areas x 4 lines, vetting's 4 required cells tested
    [ "$(cov_json 'd["coverage"]["map"]["cells"], d["coverage"]["map"]["covered"], d["coverage"]["map"]["required_tested"]')" = "(64, 8, 4)" ] ||
        fail "summary: $(cov_json 'd["coverage"]["map"]')"
    # the same in words
    run test --rules "$T/r" --map "$ROOT/mappings/met-2021-22/map.yaml" --coverage
    expect_rc 0
    expect_out "    *L1   1 rule, 1 tested: overdue-actions+"
    expect_out "    *L2   1 rule, 0 tested (required: UNTESTED): overdue-actions"
    expect_out "    *L1   NOT COVERED: no rule can fire here (required)"
}

# A small map where no rule reaches data_quality: its required cells are
# reported uncovered (text, JSON, HTML in words), and the gate fails. A rule
# that only walks the map (reads ctx.map.areas) covers no cell.
case_map_coverage_unreached_area_fails_gate() {
    mkdir -p "$T/r"
    cp "$FX/rules/high-actions.lua" "$T/r/"
    cat >"$T/r/walks-map.lua" <<'LUA'
return {
  id = "walks-map", title = "Reads the whole map", severity = "low", category = "test",
  description = "Reads ctx.map.areas; flags nothing on a small map.",
  check = function(ctx)
    if #ctx.map.areas > 99 then ctx:flag{ subject = "x", message = "many areas" } end
  end,
}
LUA
    cat >"$T/r/high-actions.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: fires for a high-priority vetting action, not for a low one
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-31}
        - {action_id: A-002, area: vetting, priority: low, due: 2022-01-31}
    expect:
      - {subject: A-001}
  - name: quiet for low priority
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-003, area: vetting, priority: low, due: 2022-01-31}
    expect: []
YAML
    cat >"$T/r/walks-map.test.yaml" <<'YAML'
rule: walks-map
cases:
  - name: quiet on a small map
    as_of: 2022-10-03
    expect: []
YAML
    run test --rules "$T/r" --map "$MAP" --coverage --min-map-coverage 100 --coverage-html "$T/cov.html"
    expect_rc 1
    expect_out "The map: 60.0% of required cells tested (3 of 5: a rule seen firing and quiet there)"
    expect_out "REQUIRED CELLS NO RULE CAN FIRE IN: data_quality/L1 data_quality/L2"
    expect_out "map coverage below --min-map-coverage 100.0%: 60.0% of required cells tested (3 of 5)"
    grep -q "walks-map" <(sed -n '/^Coverage matrix/,$p' "$T/out") &&
        fail "a rule that only reads the map is credited to a cell"
    grep -qF 'NOT COVERED: no rule' "$T/cov.html" || fail "the page does not name the uncovered cells"
    [ "$(grep -o '>REQUIRED<' "$T/cov.html" | wc -l)" -eq 5 ] || fail "the page does not mark the 5 required cells"
    # the gate passes at what is reached, and JSON lists the uncovered cells
    run test --rules "$T/r" --map "$MAP" --min-map-coverage 60 --format json
    expect_rc 0
    [ "$(cov_json 'd["coverage"]["map"]["required_uncovered"]')" = "[{'area': 'data_quality', 'line': 'L1'}, {'area': 'data_quality', 'line': 'L2'}]" ] ||
        fail "required_uncovered: $(cov_json 'd["coverage"]["map"]')"
    [ "$(cov_json 'm[("vetting", "L2")]["required"], m[("data_quality", "L3")]["required"]')" = "(True, False)" ] ||
        fail "required flags are wrong"
    run test --rules "$T/r" --map "$MAP" --min-map-coverage 101
    expect_rc 64
    expect_err "--min-map-coverage takes a percentage"
}

# A rule's covers name cells: a source names its areas in its line, even
# where no case had data.
case_map_coverage_declared_source() {
    mkdir -p "$T/r"
    sed 's/covers = { datasets = { "actions" } }/covers = { sources = { "l1_checks" } }/' \
        "$FX/rules/high-actions.lua" >"$T/r/high-actions.lua"
    grep -q 'sources = { "l1_checks" }' "$T/r/high-actions.lua" || fail "the rule was not changed"
    cat >"$T/r/high-actions.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: fires in vetting
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-31}
    expect:
      - {subject: A-001}
  - name: quiet
    as_of: 2022-10-03
    expect: []
YAML
    run test --rules "$T/r" --map "$MAP" --coverage --format json
    expect_rc 0
    # l1_checks is L1 for vetting and data_quality; the flagged action names
    # vetting (no line): every line of vetting
    [ "$(cov_json 'sorted(a + "/" + l for (a, l), c in m.items() if c["rules"])')" = "['data_quality/L1', 'vetting/EXT', 'vetting/L1', 'vetting/L2', 'vetting/L3']" ] ||
        fail "cells: $(cov_json 'sorted(a + "/" + l for (a, l), c in m.items() if c["rules"])')"
}
