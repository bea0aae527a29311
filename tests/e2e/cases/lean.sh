# Lists that do not grow the parent's memory: text, CSV, Excel and JUnit
# findings are kept on disk in reading order as they arrive (findspool), in
# an unlinked temporary file beside the output or in $TMPDIR. The lists are
# the same bytes as before, whatever the number of jobs, and the spool
# leaves nothing behind: after success, after a failed write, after SIGTERM.
# Sourced by tests/e2e/e2e.sh.

# The unlinked spool of process $1 in directory $2, seen through /proc:
# the spill happened, and the file never had a name anyone could see.
spool_fd_open() {
    local fd target
    for fd in /proc/"$1"/fd/*; do
        target=$(readlink "$fd" 2>/dev/null) || continue
        case $target in "$2"/.assure-spool*" (deleted)") return 0 ;; esac
    done
    return 1
}

# The Met example's lists do not depend on how many rules run at once,
# now that the rules' findings interleave on their way to disk.
case_lean_lists_same_whatever_the_jobs() {
    example_db
    cd "$ROOT" || fail "no project root"
    local f j
    # text (reading order) and JUnit (by rule): the two ways findings are kept
    for f in text junit; do
        for j in 1 3; do
            COLUMNS=80 run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules \
                --as-of 2022-10-03 --format "$f" --jobs "$j"
            expect_rc 1
            sed 's/ time="[0-9.]*"//' "$T/out" >"$T/got.$f.$j"
        done
        cmp -s "$T/got.$f.1" "$T/got.$f.3" || fail "the $f list differs between --jobs 1 and 3"
    done
    [ "$(grep -c '<failure' "$T/got.junit.1")" -gt 10 ] || fail "the JUnit list has no failures"
    grep -q '^HIGH (' "$T/got.text.1" || fail "the text list has no HIGH section"
}

# 25,000 findings (more than the 8 MiB kept in memory) as text to standard
# output and as CSV to a file: whole, in order, and no file left in $TMPDIR
# or beside the output.
case_lean_spool_leaves_nothing_after_success() {
    good_db
    mkdir -p "$T/tmp" "$T/o"
    TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" --rules "$FX/spill" --as-of 2022-10-03 \
        --format csv --max-findings 30000
    expect_rc 1
    [ "$(grep -c '^many,' "$T/out")" = 25000 ] || fail "not every finding was listed"
    # the rule flags in reverse: the list is in subject order
    [ "$(grep '^many,' "$T/out" | head -1 | cut -d, -f4)" = s00001 ] || fail "not in subject order"
    [ "$(grep '^many,' "$T/out" | tail -1 | cut -d, -f4)" = s25000 ] || fail "not in subject order"
    [ -z "$(ls -A "$T/tmp")" ] || fail "files left in TMPDIR: $(ls -A "$T/tmp")"
    run check --map "$MAP" --db "$T/db" --rules "$FX/spill" --as-of 2022-10-03 --format text \
        --max-findings 30000 --output "$T/o/list.txt"
    expect_rc 1
    [ "$(ls -A "$T/o")" = list.txt ] || fail "files left beside the output: $(ls -A "$T/o")"
    grep -q '^25000 findings from 1 rule' "$T/o/list.txt" || fail "the text list lost its counts"
}

# The spool's directory fills up: a clear error naming it, exit 74, no
# output, and nothing left in the directory.
case_lean_spool_failed_write() {
    [ "$(id -u)" -eq 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
    good_db
    mkdir -p "$T/small"
    mount -t tmpfs -o size=1m tmpfs "$T/small" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    TMPDIR=$T/small run check --map "$MAP" --db "$T/db" --rules "$FX/spill" \
        --as-of 2022-10-03 --format text --max-findings 30000
    expect_rc 74
    expect_err "cannot write a temporary file in $T/small: No space left on device"
    [ ! -s "$T/out" ] || fail "a list was printed although its findings were lost"
    [ -z "$(ls -A "$T/small")" ] || fail "files left in the full directory: $(ls -A "$T/small")"
}

# SIGTERM while a rule is stuck and another's findings are already spooled
# beside the output: the process dies of the signal, and neither the output
# nor the spool is left.
case_lean_spool_removed_on_sigterm() {
    good_db
    mkdir -p "$T/sig" "$T/o"
    cp "$FX/spill/many.lua" "$HOSTILE/h12-pattern.lua" "$T/sig/"
    env --default-signal ${ASSURE_WRAP:-} "$ASSURE" check --map "$MAP" --db "$T/db" \
        --rules "$T/sig" --as-of 2022-10-03 --timeout 60 --jobs 2 --max-findings 30000 \
        --format csv --output "$T/o/list.csv" >"$T/out" 2>"$T/err" &
    PID=$!
    local i
    for i in $(seq 1 600); do
        spool_fd_open "$PID" "$T/o" && break
        sleep 0.1
    done
    spool_fd_open "$PID" "$T/o" || { kill -KILL "$PID"; fail "the findings were never spooled to $T/o"; }
    kill -TERM "$PID"
    wait "$PID"
    RC=$?
    expect_rc 143
    expect_none_left SIGTERM
    [ -z "$(ls -A "$T/o")" ] || fail "files left beside the output: $(ls -A "$T/o")"
}

# A rule's worker holds its findings until the rule has finished, then sends
# them in subject order; beyond 16 MiB it sorts them through an unlinked
# file in $TMPDIR made for it before its filter went on (heldsort). 60,000
# findings (about 27 MB) flagged in a scattered order come out whole and in
# subject order, the worker wrote the file (seen with strace where it is
# installed), and nothing is left in $TMPDIR.
case_lean_worker_sorts_through_its_file() {
    good_db
    mkdir -p "$T/tmp" "$T/o"
    # 60,000 findings take a worker well under a second, but under valgrind
    # on a busy machine more than the default 30 s budget
    TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" --rules "$FX/spill-worker" \
        --as-of 2022-10-03 --format csv --max-findings 70000 --timeout 600 --output "$T/o/list.csv"
    expect_rc 1
    grep '^scattered,' "$T/o/list.csv" | cut -d, -f4 >"$T/subjects"
    [ "$(wc -l <"$T/subjects")" = 60000 ] || fail "not every finding was listed"
    LC_ALL=C sort -c "$T/subjects" 2>"$T/unsorted" || fail "not in subject order: $(cat "$T/unsorted")"
    [ "$(sort -u "$T/subjects" | wc -l)" = 60000 ] || fail "a finding was listed twice"
    [ -z "$(ls -A "$T/tmp")" ] || fail "files left in TMPDIR: $(ls -A "$T/tmp")"
    # The same list, whatever the number of jobs, as JSON Lines too (the
    # workers format those findings themselves).
    TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" --rules "$FX/spill-worker" \
        --as-of 2022-10-03 --format csv --max-findings 70000 --timeout 600 --jobs 1 \
        --output "$T/o/one.csv"
    cmp -s "$T/o/list.csv" "$T/o/one.csv" || fail "the list differs with --jobs 1"
    TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" --rules "$FX/spill-worker" \
        --as-of 2022-10-03 --format jsonl --max-findings 70000 --timeout 600 \
        --output "$T/o/list.jsonl"
    expect_rc 1
    grep -o '"subject": "s[0-9]*"' "$T/o/list.jsonl" | cut -d'"' -f4 >"$T/json-subjects"
    cmp -s "$T/subjects" "$T/json-subjects" || fail "the JSON Lines list is not in the same order"
    if command -v strace >/dev/null && [ -z "${ASSURE_WRAP:-}" ]; then
        TMPDIR=$T/tmp strace -f -qq -e trace=pwrite64 -o "$T/trace" "$ASSURE" check --map "$MAP" \
            --db "$T/db" --rules "$FX/spill-worker" --as-of 2022-10-03 --format csv \
            --max-findings 70000 --output "$T/o/traced.csv" 2>"$T/err"
        # SQLite writes pages of 4 KiB; the worker's runs go in writes of 64 KiB
        grep -qE '^[0-9]+ +pwrite64\(.*= [0-9]{5,}$' "$T/trace" || fail "the worker never wrote its file"
        cmp -s "$T/o/list.csv" "$T/o/traced.csv" || fail "the list differs under strace"
    fi
}

# The worker's file fills the disk: that rule fails, saying why, and no
# finding of it is listed; nothing is left in $TMPDIR.
case_lean_worker_file_full() {
    [ "$(id -u)" -eq 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
    good_db
    mkdir -p "$T/small" "$T/o"
    mount -t tmpfs -o size=4m tmpfs "$T/small" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    TMPDIR=$T/small run check --map "$MAP" --db "$T/db" --rules "$FX/spill-worker" \
        --as-of 2022-10-03 --format text --max-findings 70000 --output "$T/o/list.txt"
    expect_rc 2
    # the reason, wrapped as the list wraps it
    tr -s ' \n' '  ' <"$T/o/list.txt" | grep -q "scattered output cannot write the worker's temporary file of findings: No space left on device" ||
        fail "the failure does not say why: $(tail -3 "$T/o/list.txt")"
    grep -q '^0 findings from 1 rule' "$T/o/list.txt" || fail "findings of the failed rule were listed"
    [ -z "$(ls -A "$T/small")" ] || fail "files left in the full directory: $(ls -A "$T/small")"
}

# Nowhere to make the worker's file: stopped before any rule runs, exit 74.
# Not under ASSURE_WRAP: valgrind itself needs $TMPDIR.
case_lean_worker_file_nowhere() {
    good_db
    TMPDIR=$T/missing "$ASSURE" check --map "$MAP" --db "$T/db" --rules "$FX/spill-worker" \
        --as-of 2022-10-03 --format csv --max-findings 70000 --output "$T/list.csv" \
        >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 74
    expect_err "cannot create a temporary file in $T/missing: No such file or directory"
    [ ! -e "$T/list.csv" ] || fail "an output was written"
}
