# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- expected evidence and rows in rule test cases ----

# A rule whose finding carries an integer, a fraction, a date, a float that
# is whole, text, and the row it rests on.
evidence_rule() {
    mkdir -p "$T/rules"
    cat >"$T/rules/late.lua" <<'LUA'
-- Test rule: actions past their due date, with evidence.
return {
  id = "late", title = "Late actions", severity = "medium",
  category = "overdue", description = "Flags actions past due.",
  check = function(ctx)
    for a in ctx:rows("SELECT action_id, due FROM actions WHERE due < ?", ctx.as_of) do
      local days = ctx:days_between(a.due, ctx.as_of)
      ctx:flag{ subject = a.action_id, message = days .. " days late",
                evidence = { days_late = days, share = days / 8, whole = 3.0,
                             due = a.due, priority = "high" },
                rows = { { "actions", a.action_id } } }
    end
  end,
}
LUA
}

# $1: the expected finding's extra fields, as YAML flow text.
evidence_test() {
    cat >"$T/rules/late.test.yaml" <<YAML
rule: late
cases:
  - name: five days late
    as_of: 2022-10-06
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-10-01}
    expect:
      - {subject: A-001, $1}
YAML
}

case_expect_evidence_right_values_pass() {
    evidence_rule
    # 5 matches 5, 0.625 the fraction, 3 the whole float 3.0, the date and
    # text as text, null an evidence name the rule does not give.
    evidence_test 'evidence: {days_late: 5, share: 0.625, whole: 3, due: 2022-10-01, priority: high, absent: null}, rows: [[actions, A-001]]'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 0
    expect_out "1 passed, 0 failed"
    evidence_test 'evidence: {whole: 3.0, share: 6.25e-1}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 0
}

case_expect_evidence_wrong_value_fails() {
    evidence_rule
    evidence_test 'evidence: {days_late: 4, share: 0.625}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "FAIL $T/rules/late.test.yaml:3: five days late"
    expect_out "differs:    late A-001  (expected at line 9)"
    expect_out "expected evidence days_late = 4, got 5"
    grep -q "unexpected:" "$T/out" && fail "a finding that differs is also listed as unexpected"
    # text is text: "5" is not " 5", a date is not another date
    evidence_test 'evidence: {due: 2022-10-02, priority: High}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "expected evidence due = 2022-10-02, got 2022-10-01"
    expect_out "expected evidence priority = High, got high"
    # a value expected where the rule gives none, and null where it gives one
    evidence_test 'evidence: {reason: overdue, days_late: null}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "expected evidence reason = overdue, got no such evidence"
    expect_out "expected evidence days_late = null, got 5"
}

case_expect_evidence_rows_as_a_set() {
    evidence_rule
    evidence_test 'rows: [[actions, A-002]]'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "expected row actions A-002, not among the finding's rows"
    expect_out "unexpected row actions A-001"
    evidence_test 'rows: []'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "unexpected row actions A-001"
    evidence_test 'rows: [[actions, A-001], [actions, A-001]]'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 0
}

case_expect_evidence_bad_keys_rejected() {
    evidence_rule
    evidence_test 'evidense: {days_late: 5}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "late.test.yaml:9:"
    expect_err "evidense"
    evidence_test 'evidence: [5]'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "evidence must be a mapping of names to values"
    evidence_test 'evidence: {days_late: [5]}'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "evidence 'days_late' must be a single value"
    evidence_test 'rows: [[actions]]'
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "a row must be a pair [dataset, key]"
}

# A mutant that changes only an evidence value is killed by a case that
# states the value, and survives one that does not.
case_expect_evidence_kills_mutant() {
    evidence_rule
    evidence_test 'message: "5 days"'
    run test --rules "$T/rules" --map "$MAP" --mutate
    expect_rc 0
    expect_out 'survived'
    expect_out '`8` -> `9`'
    evidence_test 'evidence: {share: 0.625}'
    run test --rules "$T/rules" --map "$MAP" --mutate
    expect_rc 0
    grep -q '`8` -> `9`' "$T/out" && fail "the mutant of the divisor survived a case stating share"
    true
}
