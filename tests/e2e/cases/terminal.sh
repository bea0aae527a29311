# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- the command line on a real terminal, driven through tmux ----
# A detached tmux session (100 x 30) runs a plain shell; each case types
# into it as a person would and reads the screen with capture-pane. Every
# command typed ends by echoing a marker with its exit code, and the cases
# poll the screen for that marker: no fixed sleeps. tmux is a test-only
# tool (scripts/setup.sh); without it these cases are skipped (77).

# Starts the session, with assure's directory first on PATH.
tmux_start() {
    command -v tmux >/dev/null || { echo "skipped: tmux is not installed"; exit 77; }
    TM=(tmux -S "$T/tmux.sock" -f /dev/null) # the socket goes with $T
    # the server is gone (its socket with it) before the directory goes
    trap '"${TM[@]}" kill-server >/dev/null 2>&1
          for ((k = 0; k < 25; k++)); do [ -e "$T/tmux.sock" ] || break; sleep 0.02; done
          rm -rf "$T"' EXIT
    "${TM[@]}" new-session -d -x 100 -y 30 -s e2e \
        "env -i PATH=$(dirname "$ASSURE"):/usr/bin:/bin HOME=$T HISTFILE=/dev/null TERM=xterm LANG=C.UTF-8 \
         PS1='term\$ ' bash --norc --noprofile" || fail "tmux could not start a session"
    # (capture-pane drops the spaces that end a line: the prompt reads 'term$')
    tmux_wait '^term\$$' 20 || { tmux_screen >"$T/err"; fail "no prompt in the tmux pane"; }
}

# The pane's text, scrollback included.
tmux_screen() { "${TM[@]}" capture-pane -p -t e2e -S - -E -; }

# Waits (up to SECONDS, default 120) for a line of the screen matching the
# regex; 1 if none came.
tmux_wait() {
    local i
    for ((i = 0; i < ${2:-120} * 20; i++)); do
        tmux_screen | grep -Eq -- "$1" && return 0
        sleep 0.05
    done
    return 1
}

# Types a command on a clear screen, then waits for it to finish: its exit
# code is left in $RC and its screen in $T/screen.
tmux_type() {
    TYPED=$((${TYPED:-0} + 1))
    "${TM[@]}" send-keys -t e2e "clear" Enter
    tmux_wait '^term\$$' 20 || fail "the screen was not cleared"
    "${TM[@]}" clear-history -t e2e
    "${TM[@]}" send-keys -t e2e -l "$1; echo __done_${TYPED}__ \$?"
    "${TM[@]}" send-keys -t e2e Enter
    tmux_wait "^__done_${TYPED}__ [0-9]+$" || { tmux_screen >"$T/err"; fail "'$1' did not finish"; }
    tmux_screen >"$T/screen"
    RC=$(sed -n "s/^__done_${TYPED}__ \([0-9]*\)$/\1/p" "$T/screen")
}
# The lines the command printed: those between the typed line and the marker.
printed() { sed -n "/__done_${TYPED}__ \\\$?\$/,/^__done_${TYPED}__ [0-9]*\$/p" "$T/screen" | sed '1d;$d'; }
screen_has() { printed | grep -qF -- "$1" || { cp "$T/screen" "$T/err"; fail "the screen lacks: $1"; }; }

# The mistakes a new user makes, each answered once, helpfully.
case_terminal_mistakes() {
    tmux_start
    tmux_type "assure chek"
    [ "$RC" = 64 ] || fail "assure chek: exit $RC"
    screen_has "assure: unknown command 'chek'; did you mean 'check'?"
    screen_has "Try 'assure --help'."

    tmux_type "assure check --fromat csv"
    [ "$RC" = 64 ] || fail "--fromat: exit $RC"
    screen_has "assure check: unknown option '--fromat'; did you mean '--format'?"
    screen_has "Try 'assure check --help'."
    [ "$(printed | wc -l)" -eq 2 ] || { printed >"$T/err"; fail "--fromat: more than one message"; }

    tmux_type "assure check --map"
    [ "$RC" = 64 ] || fail "--map with no argument: exit $RC"
    screen_has "assure check: option '--map' needs an argument (FILE)"
    [ "$(printed | wc -l)" -eq 2 ] || { printed >"$T/err"; fail "--map: more than one message"; }

    tmux_type "assure help check"
    [ "$RC" = 0 ] || fail "assure help check: exit $RC"
    screen_has "Usage: assure check --map FILE --db FILE --rules DIR [options]"
    screen_has "--progress"
    printed | grep -q '^Commands:' && fail "assure help check printed the general help"

    tmux_type "assure import --help"
    [ "$RC" = 0 ] || fail "assure import --help: exit $RC"
    screen_has "Usage: assure import --map FILE --db FILE [options] [DATASET=PATH...]"
    # the pane is 100 wide: a longer line would wrap, and show as a line of 100
    printed | awk 'length > 80 {print "over 80 columns (" length "): " $0; bad = 1} END {exit bad}' >"$T/err" ||
        fail "import --help is wider than 80 columns"
    [ "$(printed | wc -l)" -gt 20 ] || fail "the help was not captured whole"

    tmux_type "assure init"
    [ "$RC" = 64 ] || fail "assure init with no directory: exit $RC"
    screen_has "assure init: give the directory to make, e.g. 'assure init my-org'"
}

# A long import shows moving progress on the terminal -- the line redrawn
# in place with more rows each time -- and ends with a clean summary: the
# progress line is taken back, nothing of it is left on the screen.

# Types an import of ROWS generated rows and watches the screen until it
# ends: each progress line seen in $T/distinct, the bytes the pane got in
# $T/raw, the last screen in $T/screen.
watch_import() {
    awk -v rows="$1" -f "$ROOT/tests/bench/gen_actions.awk" >"$T/big.csv"
    rm -f "$T/db"*
    : >"$T/raw"
    "${TM[@]}" pipe-pane -t e2e # stop recording, then start afresh
    "${TM[@]}" pipe-pane -o -t e2e "cat >>$T/raw" || fail "tmux cannot record the pane"
    TYPED=$((${TYPED:-0} + 1))
    "${TM[@]}" send-keys -t e2e -l \
        "assure import --map $MAP --db $T/db --as-of 2025-01-01 actions=$T/big.csv; echo __done_${TYPED}__ \$?"
    "${TM[@]}" send-keys -t e2e Enter
    : >"$T/seen"
    local i
    for ((i = 0; i < 4800; i++)); do
        tmux_screen >"$T/screen"
        grep -E '^import( actions)?: ' "$T/screen" >>"$T/seen"
        grep -Eq "^__done_${TYPED}__ [0-9]+$" "$T/screen" && break
        sleep 0.025
    done
    grep -Eq "^__done_${TYPED}__ 0$" "$T/screen" || { cp "$T/screen" "$T/err"; fail "the import did not succeed"; }
    sort -u "$T/seen" >"$T/distinct"
    for ((i = 0; i < 400; i++)); do grep -q "__done_${TYPED}__ 0" "$T/raw" && break; sleep 0.05; done
}

case_terminal_import_progress() {
    # under valgrind the import of 200,000 rows would take minutes
    [ -z "${ASSURE_WRAP:-}" ] || { echo "skipped under ASSURE_WRAP"; exit 77; }
    tmux_start
    local rows=200000
    watch_import $rows
    if [ "$(wc -l <"$T/distinct")" -lt 2 ]; then
        # over before the screen could be read twice: a fast machine; more rows
        rows=1000000
        watch_import $rows
    fi
    # drawn in place: the line rewritten after \r with a growing count
    tr '\r' '\n' <"$T/raw" | grep -aoE '^import actions: [0-9,]+ rows' | sort -u >"$T/counts"
    [ "$(wc -l <"$T/counts")" -ge 2 ] || { cp "$T/raw" "$T/err"; fail "the progress was not redrawn"; }
    # and seen moving on the screen while it ran
    [ "$(wc -l <"$T/distinct")" -ge 2 ] || { cp "$T/seen" "$T/err"; fail "the progress did not move"; }
    grep -Eq '^import actions: [0-9,]+ rows, [0-9.]+ of [0-9.]+ MB' "$T/distinct" ||
        { cp "$T/distinct" "$T/err"; fail "no progress line with rows and MB read on the screen"; }
    # the summary line, alone on its line, and no progress left anywhere
    grep -qx "actions  *$rows rows from $T/big.csv" "$T/screen" ||
        { cp "$T/screen" "$T/err"; fail "no clean summary line"; }
    grep -Eq 'rows/s|import actions:|import: |reading ' "$T/screen" &&
        { cp "$T/screen" "$T/err"; fail "progress left on the screen"; }
    true
}

# A check on a terminal draws its progress (rules done, findings, the rules
# at work) and takes the line back before it ends: the raw bytes the pane
# received hold the drawn line and the clear, and the screen holds nothing
# of it afterwards.
case_terminal_check_progress() {
    local met=$ROOT/fixtures/met-2021-22 files=()
    for f in "$met"/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
    "$ASSURE" import --map "$ROOT/mappings/met-2021-22/map.yaml" --db "$T/met.db" \
        --as-of 2022-10-03 "${files[@]}" >/dev/null 2>&1 || fail "could not import the example"
    tmux_start
    "${TM[@]}" pipe-pane -o -t e2e "cat >>$T/raw" || fail "tmux cannot record the pane"
    tmux_type "assure check --map $ROOT/mappings/met-2021-22/map.yaml --db $T/met.db --rules $ROOT/rules --as-of 2022-10-03 --format csv -o $T/list.csv"
    [ "$RC" = 1 ] || fail "check: exit $RC"
    [ -s "$T/list.csv" ] || fail "no exception list written"
    # the recording catches up with the screen
    local i
    for ((i = 0; i < 400; i++)); do grep -q "__done_${TYPED}__ 1" "$T/raw" 2>/dev/null && break; sleep 0.05; done
    grep -aEq $'\rcheck: 0 of [0-9]+ rules done, 0 findings, 0 s; at work: ' "$T/raw" ||
        { cp "$T/raw" "$T/err"; fail "no progress drawn in place"; }
    grep -aq $'rules done[^\r]*\033\\[K\r\033\\[K' "$T/raw" ||
        { cp "$T/raw" "$T/err"; fail "the progress line was not cleared"; }
    [ -z "$(printed | tr -d '[:space:]')" ] || { printed >"$T/err"; fail "progress left on the screen"; }
}
