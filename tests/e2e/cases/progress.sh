# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- progress on long work, where standard error is not a terminal ----
# (tests/e2e/cases/terminal.sh watches it on a terminal, in tmux)

# Standard error to a file: no progress at all, only what was there before.
case_progress_none_when_not_a_terminal() {
    run import --map "$MAP" --db "$T/db" actions="$FX/actions.csv"
    expect_rc 0
    expect_out "actions"
    expect_no_err "rows/s"
    expect_no_err "reading"
    grep -q $'\r' "$T/err" && fail "a carriage return on standard error"
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03
    expect_no_err "rules done"
    true
}

# --progress: plain timestamped lines for a scheduler's log -- one as each
# file starts, one with its totals -- never a carriage return or an escape;
# the summary on standard output is as it always was. --quiet drops the
# summary, not the lines asked for.
case_progress_log_lines() {
    awk -v rows=3000 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/actions.csv"
    run import --progress --map "$MAP" --db "$T/db" --as-of 2025-01-01 actions="$T/actions.csv"
    expect_rc 0
    expect_out "actions                  3000 rows from $T/actions.csv"
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z assure import: actions: reading [0-9]+ kB$' "$T/err" ||
        fail "no start line"
    grep -Eq '^[0-9-]{10}T[0-9:]{8}Z assure import: actions: 3,000 rows read in [0-9]+ s, ([0-9]+) of \1 kB' "$T/err" ||
        fail "no end line with the totals"
    grep -q $'[\r\033]' "$T/err" && fail "a carriage return or an escape in log lines"
    run check --progress --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2025-01-01 --jobs 1
    grep -Eq '^[0-9-]{10}T[0-9:]{8}Z assure check: 0 of [0-9]+ rules done, 0 findings, 0 s; at work: ' "$T/err" ||
        fail "no first check line"
    local n
    n=$(sed -n 's/.*assure check: 0 of \([0-9]*\) rules done.*/\1/p' "$T/err")
    grep -Eq "assure check: $n of $n rules done, [0-9,]+ findings?, in [0-9]+ s$" "$T/err" ||
        fail "no last check line"
    grep -q $'[\r\033]' "$T/err" && fail "a carriage return or an escape in log lines"
    rm -f "$T/db"*
    run import --progress --quiet --map "$MAP" --db "$T/db" --as-of 2025-01-01 actions="$T/actions.csv"
    expect_rc 0
    [ ! -s "$T/out" ] || fail "--quiet printed a summary"
    expect_err "rows read in"
}

# A rejected import ends its progress before the problems are listed.
case_progress_then_problems() {
    run import --progress --map "$MAP" --db "$T/db" actions="$FX/data/bad_values.csv"
    expect_rc 65
    expect_err "import rejected"
    # the problems come after the last progress line, not inside it
    local last_progress first_problem
    last_progress=$(grep -n 'assure import:' "$T/err" | tail -1 | cut -d: -f1)
    first_problem=$(grep -n ': error: ' "$T/err" | head -1 | cut -d: -f1)
    [ -n "$last_progress" ] && [ -n "$first_problem" ] || fail "no progress, or no problem"
    [ "$last_progress" -lt "$first_problem" ] || fail "progress after the problems"
}

# The nightly run with --progress: its progress lines come between the step
# lines, the import's before the import step's, the rules' before record.
case_progress_in_a_nightly_run() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv" --progress
    expect_rc 1
    expect_err "assure run: audit_actions: 3 rows read in "
    expect_err "assure run: 1 of 1 rule done, 2 findings, in "
    grep -Eq '^[0-9-]{10}T[0-9:]{8}Z assure run: 0 of 1 rule done, 0 findings, 0 s; at work: late$' "$T/err" ||
        fail "no first rules line"
    local order
    order=$(grep -oE 'assure run: (audit_actions: reading|import:|0 of 1 rule|1 of 1 rule|record:)' "$T/err" | tr '\n' '|')
    [ "$order" = "assure run: audit_actions: reading|assure run: import:|assure run: 0 of 1 rule|assure run: 1 of 1 rule|assure run: record:|" ] ||
        fail "progress and steps out of order: $order"
    grep -q $'[\r\033]' "$T/err" && fail "a carriage return or an escape in a run's log"
    # without --progress, a run's log is its step lines alone
    night_run 2023-02-28 "$NIGHT/actions-2.csv"
    expect_no_err "rows read in"
    expect_no_err "rule done"
    expect_err "assure run: record: run 2"
}
