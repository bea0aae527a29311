# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- mutation testing of rules: assure test --mutate ----

# A rule with a threshold, and a test file that only looks far from it.
mutate_rules() {
    mkdir -p "$T/rules"
    cat >"$T/rules/late-actions.lua" <<'LUA'
-- Test rule: actions more than max_days past their due date.
return {
  id = "late-actions", title = "Late actions", severity = "medium",
  category = "overdue", description = "Flags actions more than max_days past due.",
  params = { max_days = 30 },
  check = function(ctx)
    local cutoff = ctx:add_days(ctx.as_of, -ctx.params.max_days) -- a < b here is a comment
    for a in ctx:rows("SELECT action_id, due FROM actions WHERE due < ?", cutoff) do
      ctx:flag{ subject = a.action_id, message = "due " .. a.due .. ", not > 30 days ago" }
    end
  end,
}
LUA
    cat >"$T/rules/late-actions.test.yaml" <<'YAML'
rule: late-actions
cases:
  - name: fires for an action long past due
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-01}
    expect:
      - {subject: A-001}
  - name: quiet for an action due yesterday
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-002, area: vetting, priority: high, due: 2022-10-02}
    expect: []
YAML
}

# The boundary the weak test file leaves open: 30 days is not late, 31 is.
mutate_boundary_case() {
    cat >>"$T/rules/late-actions.test.yaml" <<'YAML'
  - name: quiet at exactly max_days past due, fires the day after
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-030, area: vetting, priority: high, due: 2022-09-03}
        - {action_id: A-031, area: vetting, priority: high, due: 2022-09-02}
    expect:
      - {subject: A-031}
YAML
}

# The weak tests pass, yet the boundary and the parameter's default can be
# changed unnoticed: those mutants survive and are named with their place.
case_mutate_weak_test_survivors_named() {
    mutate_rules
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 0
    mkdir -p "$T/tmp" # the mutants' temporary files go here, and must go away
    TMPDIR="$T/tmp" run test --rules "$T/rules" --map "$MAP" --mutate --jobs 2
    expect_rc 0
    expect_out "late-actions ($T/rules/late-actions.lua): 4 mutants, 1 killed, 3 survived: 25.0%"
    expect_out "    survived $T/rules/late-actions.lua:8:69: \`<\` -> \`<=\` in SQL"
    expect_out "    survived $T/rules/late-actions.lua:5:25: parameter \`max_days\` default \`30\` -> \`31\`"
    expect_out "    survived $T/rules/late-actions.lua:5:25: parameter \`max_days\` default \`30\` -> \`29\`"
    expect_out "4 mutants, 1 killed, 3 survived: mutation score 25.0%"
    # the removed ctx:flag call is killed; the comment and the message are never mutated
    if grep -q "ctx:flag" "$T/out"; then fail "the removed flag call survived"; fi
    if grep -qE ':7:[0-9]+:|:9:[0-9]+:' "$T/out"; then fail "a comment or message was mutated"; fi
    # the rule file itself is untouched
    grep -qF 'WHERE due < ?' "$T/rules/late-actions.lua" || fail "the rule file changed"
    [ -z "$(ls -A "$T/tmp")" ] || fail "temporary files left behind: $(ls -A "$T/tmp")"
}

# A case at the boundary kills the survivors.
case_mutate_boundary_case_kills() {
    mutate_rules
    mutate_boundary_case
    run test --rules "$T/rules" --map "$MAP" --mutate --jobs 1 --format json
    expect_rc 0
    expect_out '"mutants": 4, "killed": 4, "survived": 0, "timeouts": 0, "score": 100.0,'
    expect_out '{"line": 8, "column": 69, "kind": "sql", "change": "`<` -> `<=` in SQL", "status": "killed", "how": "findings", "killed_by": "'"$T"'/rules/late-actions.test.yaml:16"}'
    expect_out '"kind": "flag", "change": "`ctx:flag{...}` call removed", "status": "killed", "how": "findings", "killed_by": "'"$T"'/rules/late-actions.test.yaml:3"}'
}

# --min-mutation gates: exit 1 below it, 0 at or above; JUnit and --output.
case_mutate_gate_exit_code() {
    mutate_rules
    run test --rules "$T/rules" --map "$MAP" --mutate --min-mutation 26
    expect_rc 1
    expect_out "mutation score below --min-mutation 26%: 25.0%"
    run test --rules "$T/rules" --map "$MAP" --min-mutation 25
    expect_rc 0
    run test --rules "$T/rules" --map "$MAP" --mutate --format junit --output "$T/mut.xml"
    expect_rc 0
    [ -s "$T/out" ] && fail "the report went to stdout as well as --output"
    grep -qF '<testsuites name="assure mutation tests" tests="4" failures="3" errors="0">' "$T/mut.xml" ||
        fail "JUnit totals: $(head -3 "$T/mut.xml")"
    grep -qF '<testcase classname="late-actions" name="'"$T"'/rules/late-actions.lua:8:69: `&lt;` -&gt; `&lt;=` in SQL">' "$T/mut.xml" ||
        fail "no failing testcase for the SQL boundary"
    mutate_boundary_case
    run test --rules "$T/rules" --map "$MAP" --mutate --min-mutation 100
    expect_rc 0
    expect_out "4 mutants, 4 killed, 0 survived: mutation score 100.0%"
    # the report may not replace an input
    run test --rules "$T/rules" --map "$MAP" --mutate --output "$T/rules/late-actions.lua"
    expect_rc 73
    grep -qF 'WHERE due < ?' "$T/rules/late-actions.lua" || fail "the rule file was replaced"
}

# Bad command lines, and a rule whose cases fail even unmutated.
case_mutate_usage_and_broken_cases() {
    mutate_rules
    run test --rules "$T/rules" --map "$MAP" --mutate --coverage
    expect_rc 64
    expect_err "--mutate does not measure coverage"
    run test --rules "$T/rules" --map "$MAP" --mutate --min-mutation 101
    expect_rc 64
    # a rule no case runs: every mutant survives, and the report says why;
    # --filter picks the rules to mutate
    cp "$FX/rules/high-actions.lua" "$T/rules/"
    run test --rules "$T/rules" --map "$MAP" --mutate
    expect_rc 0
    expect_out "high-actions ($T/rules/high-actions.lua): 2 mutants, 0 killed, 2 survived: 0.0% (no test case runs this rule)"
    run test --rules "$T/rules" --map "$MAP" --mutate --filter late
    expect_rc 0
    grep -q "high-actions" "$T/out" && fail "--filter late mutated high-actions"
    expect_out "4 mutants, 1 killed, 3 survived"
    sed -i 's/subject: A-001/subject: A-999/' "$T/rules/late-actions.test.yaml"
    run test --rules "$T/rules" --map "$MAP" --mutate
    expect_rc 1
    expect_out "late-actions ($T/rules/late-actions.lua): not scored: the case at $T/rules/late-actions.test.yaml:3 fails without any mutant"
}

# A mutant that never ends (a loop step of 1 made 0) is killed by the time
# budget, and the report says so.
case_mutate_timeout_counts_as_killed() {
    mkdir -p "$T/rules"
    cat >"$T/rules/counted.lua" <<'LUA'
return {
  id = "counted", title = "Counted", severity = "low", category = "overdue",
  description = "Flags when there are at least two actions.",
  check = function(ctx)
    local n, i = ctx:one("SELECT count(*) FROM actions"), 0
    while i < n do i = i + 1 end
    if i >= 2 then ctx:flag{ subject = "actions", message = "many" } end
  end,
}
LUA
    cat >"$T/rules/counted.test.yaml" <<'YAML'
rule: counted
cases:
  - name: fires for two
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-01}
        - {action_id: A-002, area: vetting, priority: high, due: 2022-01-01}
    expect:
      - {subject: actions}
YAML
    run test --rules "$T/rules" --map "$MAP" --mutate --timeout 2 --format json
    expect_rc 0
    expect_out '"kind": "number", "change": "`1` -> `0`", "status": "killed", "how": "timeout"'
    run test --rules "$T/rules" --map "$MAP" --mutate --timeout 2
    expect_out " by a timeout"
}
