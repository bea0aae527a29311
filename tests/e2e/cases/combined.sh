# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- combined assurance: the map's required levels and their weighting ----

# Every mistake in combined_assurance and required_assurance is named with
# its file:line:col and path, in one pass, and the map is refused (78).
case_combined_map_errors() {
    run validate --map "$FX/maps/combined_errors.yaml"
    expect_rc 78
    expect_err "combined_errors.yaml:5:26: error: combined_assurance.levels.Mid: levels go from the lowest score to the highest: 40 is not above Low's 50"
    expect_err "combined_errors.yaml:6:17: error: combined_assurance.weights.L2: expected a number from 0 to 100, got 'two'"
    expect_err "combined_errors.yaml:6:22: error: combined_assurance.weights.LL3: 'LL3' is not a line of the map; did you mean 'L3'?"
    expect_err "combined_errors.yaml:7:20: error: combined_assurance.factors.stale: 1.5 is outside the allowed range 0 to 1"
    expect_err "combined_errors.yaml:9:57: error: areas[0].required_assurance: 'Hihg' is not a level of combined assurance (Low)"
    expect_err "5 problems; not valid"
}

# A map that requires no level gets no combined-assurance finding, whatever
# it holds; the report still scores every area (no level required).
case_combined_quiet_without_levels() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$ROOT/rules" --as-of 2022-10-03 --format json \
        --rule combined-assurance-below-required --rule duplicated-assurance
    [ "$RC" -le 1 ] || fail "check failed ($RC)"
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); c = j["counts"]; assert c["findings"] == 0 and c["rules_run"] == 2 and c["rules_failed"] == 0, c' \
        "$T/out" 2>>"$T/err" || fail "findings without a required level"
    run report --map "$MAP" --db "$T/db" --rules "$ROOT/rules" --as-of 2022-10-03 --section map \
        --format json
    expect_rc 0
    /usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["areas"]; assert a and all(x["required_assurance"] is None and x["below_required"] is None for x in a), a' \
        "$T/out" 2>>"$T/err" || fail "areas with a level the map does not require"
}
