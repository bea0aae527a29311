# The benchmark's own machinery (tests/bench/): that the anchors do the work
# the rules do, and that docs/performance.md is built from the benches'
# output. No network and no npm: the DuckDB case is skipped (77) unless
# node and @duckdb/node-api are already installed (tests/bench/duckdb_setup.sh).

# The rule ids a bench anchor implements, sorted.
bench_ids_sql() { "$ROOT/tests/bench/rule_counts.py" rules "$ROOT/tests/bench/checks.sql" | sort; }
bench_ids_duckdb() {
    sed -n "s/^  '\([a-z0-9-]*\)': \`SELECT.*/\1/p" "$ROOT/tests/bench/duckdb_checks.mjs" | sort
}
bench_ids_pandas() { sed -n 's/^flag("\([a-z0-9-]*\)".*/\1/p' "$ROOT/tests/bench/pandas_checks.py" | sort; }

# checks.sql, duckdb_checks.mjs and pandas_checks.py implement the same
# seven rules, each a rule of the standard library.
case_bench_anchors_implement_the_same_rules() {
    [ -x /usr/bin/python3 ] || exit 77
    local sqlids
    sqlids=$(bench_ids_sql)
    [ "$(echo "$sqlids" | wc -l)" -eq 7 ] || fail "checks.sql: not seven rules: $sqlids"
    [ "$(bench_ids_duckdb)" = "$sqlids" ] ||
        fail "duckdb_checks.mjs implements $(bench_ids_duckdb | tr '\n' ' '), checks.sql $sqlids"
    [ "$(bench_ids_pandas)" = "$sqlids" ] ||
        fail "pandas_checks.py implements $(bench_ids_pandas | tr '\n' ' '), checks.sql $sqlids"
    local id
    for id in $sqlids; do
        [ -f "$ROOT/rules/$id.lua" ] || fail "checks.sql: $id is not a rule in rules/"
    done
}

# On a small generated file, assure, DuckDB and checks.sql in the sqlite3
# CLI find the same rows per rule (and the comparison notices a difference).
case_bench_duckdb_counts_match_assure() {
    local dir=${DUCKDB_NODE_DIR:-$ROOT/out/bench-node}
    command -v node >/dev/null && [ -x /usr/bin/python3 ] &&
        [ -d "$dir/node_modules/@duckdb/node-api" ] || exit 77
    local b=$ROOT/tests/bench rules=() r
    awk -v rows=500 -f "$b/gen_standard_actions.awk" >"$T/std.csv"
    run import -q --map "$ROOT/fixtures/bench/map.yaml" --db "$T/std.db" audit_actions="$T/std.csv"
    expect_rc 0
    "$b/rule_counts.py" rules "$b/checks.sql" >"$T/rules"
    while read -r r; do rules+=(--rule "$r"); done <"$T/rules"
    run check --map "$ROOT/fixtures/bench/map.yaml" --db "$T/std.db" --rules "$ROOT/rules" \
        --as-of 2022-10-03 --format csv --output "$T/assure.csv" "${rules[@]}"
    expect_rc 1
    "$b/rule_counts.py" csv "$T/assure.csv" >"$T/assure.counts"
    DUCKDB_NODE_DIR=$dir node "$b/duckdb_checks.mjs" "$T/std.csv" 2022-10-03 "$T/duck.csv" 1 \
        >"$T/duck.counts" 2>"$T/duck.err" || fail "duckdb_checks.mjs failed: $(cat "$T/duck.err")"
    grep -q '^duckdb: version .* load [0-9.]* check [0-9.]*$' "$T/duck.err" ||
        fail "duckdb_checks.mjs printed no phase times: $(cat "$T/duck.err")"
    "$b/rule_counts.py" csv "$T/duck.csv" >"$T/duck-list.counts"
    "$b/rule_counts.py" sql "$b/checks.sql" >"$T/counts.sql"
    sqlite3 "$T/std.db" ".read $T/counts.sql" >"$T/sql.counts"
    "$b/rule_counts.py" compare "$T/rules" assure="$T/assure.counts" duckdb="$T/duck.counts" \
        duckdb-list="$T/duck-list.counts" sqlite3="$T/sql.counts" >"$T/out" ||
        fail "the anchors found different rows"
    expect_out "counts identical"
    # every rule fires on this data, so a rule left out would show
    [ "$(awk '$2 > 0' "$T/assure.counts" | wc -l)" -eq 7 ] || fail "not all seven rules fired"
    sed '1s/ [0-9]*$/ 0/' "$T/duck.counts" >"$T/wrong.counts"
    "$b/rule_counts.py" compare "$T/rules" assure="$T/assure.counts" duckdb="$T/wrong.counts" \
        >"$T/out" && fail "a difference in the counts was not noticed"
    expect_out "DIFFERS"
}

# benchlib.sh tells the benchmark's own CPU time from other processes': a
# child's CPU time counts as the benchmark's, and others_cores gives a
# figure (the same one again within 5 s of the last). In a session and
# process group of its own, as a benchmark started from a shell is: under
# ctest -j, the tests running beside it share ctest's group, and one whose
# orphaned processes end takes their time out of the group's sum.
case_bench_quiet_counts_its_own_processes() {
    cat >"$T/quiet.sh" <<'EOS'
cd "$1" || exit 1
T=$2
unset BENCH_QUIET_FILE
export TMPDIR=$T
. tests/bench/benchlib.sh
# this shell's children's user and system time, in ticks (times runs in
# this shell: in a subshell it would count none)
kids() {
    tail -1 "$1" | awk -v hz="$(getconf CLK_TCK)" '{
        split($1, u, /[ms]/); split($2, k, /[ms]/)
        printf "%d", (u[1] * 60 + u[2] + k[1] * 60 + k[2]) * hz }'
}
read -r _ own0 < <(_bench_ticks)
times >"$T/times0"
awk 'BEGIN { for (i = 0; i < 20000000; i++) s += i; print s > "/dev/null" }'
times >"$T/times1"
read -r _ own1 < <(_bench_ticks)
kids=$(($(kids "$T/times1") - $(kids "$T/times0")))
read -r busy own _ < <(_bench_ticks)
echo "$busy $own $(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.6f", t - 10 }') ?" \
    >"$BENCH_QUIET_FILE"
echo "$own0 $own1 $kids $(others_cores) $(others_cores)"
EOS
    local out own0 own1 kids o1 o2
    out=$(setsid -w bash "$T/quiet.sh" "$ROOT" "$T") || fail "benchlib.sh could not be sourced"
    read -r own0 own1 kids o1 o2 <<<"$out"
    [ "$kids" -ge 5 ] || fail "the busy loop took no CPU time ($out)"
    # /proc counts whole ticks, four figures a process: a few may be lost
    [ $((own1 - own0)) -ge $((kids - 4)) ] ||
        fail "a child's $kids ticks are not counted as the benchmark's own ($out)"
    [[ $o1 =~ ^[0-9]+\.[0-9][0-9]$ ]] || fail "others_cores gave '$o1' ($out)"
    [ "$o2" = "$o1" ] || fail "a second call within 5 s gave '$o2', not '$o1'"
}

# benchlib's callgrind_of profiles a command and every process it forks,
# one file each, names the command's own (cg_pid), takes exit 1 (a check's
# "findings") and fails above it; callgrind_children lists the forked ones.
case_bench_callgrind_of_profiles_a_command() {
    command -v valgrind >/dev/null || exit 77
    cat >"$T/cg.sh" <<'EOS'
cd "$1" || exit 1
T=$2
. tests/bench/benchlib.sh
mkdir "$T/cg"
# the subshell is a forked process of its own
callgrind_of "$T/cg/x" -- /bin/sh -c '(exit 0); exit 1' || { echo "exit 1 refused"; exit 1; }
[ -s "$T/cg/x.$cg_pid" ] || { echo "no file for the command itself"; exit 1; }
kids=$(callgrind_children "$T/cg/x")
[ -n "$kids" ] && [ "${kids#*,}" = "$kids" ] && [ "$kids" != "$T/cg/x.$cg_pid" ] ||
    { echo "the forked process's file is not listed alone: '$kids'"; exit 1; }
if callgrind_of "$T/cg/y" -- /bin/sh -c 'exit 3' 2>"$T/err"; then echo "exit 3 accepted"; exit 1; fi
grep -q "exited 3" "$T/err" || { echo "no reason given: $(cat "$T/err")"; exit 1; }
echo ok
EOS
    local out
    out=$(bash "$T/cg.sh" "$ROOT" "$T" 2>&1) || fail "$out"
    [ "$out" = ok ] || fail "$out"
}

# cgsum.py (the profiles' summer) adds up each function's own cost from
# callgrind's format -- compressed names, a call's inclusive cost not
# counted as the caller's own, relative positions, instruction addresses --
# by library and column, and refuses a profile that counted nothing rather
# than print zeros.
case_bench_cgsum_adds_up_a_profile() {
    [ -x /usr/bin/python3 ] || exit 77
    cat >"$T/cg" <<'CG'
# callgrind format
version: 1
creator: a test
cmd: assure check
events: Ir
summary: 3500000

ob=(1) /usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6
fl=(1) ???
fn=(1) sqlite3VdbeExec
0 2000000
cob=(2) /somewhere/build/assure
cfi=(2) engine/a.c
cfn=(2) asr_thing
calls=1 0
0 900000
ob=(2)
fl=(2)
fn=(2)
0 1000000
+1 500000
CG
    "$ROOT/tests/bench/cgsum.py" --top 2 "one=$T/cg" "two=$T/cg,$T/cg" >"$T/out" 2>"$T/err" ||
        fail "cgsum.py failed: $(cat "$T/err")"
    [ ! -s "$T/err" ] || fail "the functions do not add up to the file's total: $(cat "$T/err")"
    grep -Eq '^SQLite +2\.0 +4\.0$' "$T/out" || fail "SQLite's own cost is not 2.0 and 4.0: $(cat "$T/out")"
    grep -Eq "^assure's own code +1\.5 +3\.0$" "$T/out" || fail "assure's own code is not 1.5 and 3.0: $(cat "$T/out")"
    grep -Eq '^all +3\.5 +7\.0$' "$T/out" || fail "the totals are not 3.5 and 7.0: $(cat "$T/out")"
    grep -Eq '^ +2\.0 M +57\.1%  sqlite3VdbeExec  \[SQLite\]$' "$T/out" || fail "no top function line: $(cat "$T/out")"
    grep -Eq "one \(1 process\) +two \(2 processes\)" "$T/out" || fail "the columns do not count their files: $(cat "$T/out")"
    # with instruction addresses dumped, the cost is the third column, and a
    # recursion level (f'2) counts as its function
    printf 'positions: instr line\nevents: Ir\nfn=(1) f\n0x10 3 400000\nfn=(2) f'"'"'2\n+4 5 300000\ntotals: 700000\n' >"$T/cg2"
    "$ROOT/tests/bench/cgsum.py" --top 1 "p=$T/cg2" >"$T/out" 2>"$T/err" || fail "cgsum.py failed: $(cat "$T/err")"
    [ ! -s "$T/err" ] && grep -Eq '^all +0\.7$' "$T/out" && grep -Eq '^ +0\.7 M +100\.0%  f  ' "$T/out" ||
        fail "positions or a recursion level misread: $(cat "$T/out" "$T/err")"
    printf 'events: Ir\nsummary: 0\n' >"$T/empty"
    if "$ROOT/tests/bench/cgsum.py" "none=$T/empty" >"$T/out" 2>"$T/err"; then
        fail "a profile that counted nothing was summed: $(cat "$T/out")"
    fi
    grep -q "none: no instructions were collected" "$T/err" || fail "no reason given: $(cat "$T/err")"
}

# perfdoc.py builds the page from the template and the benches' output:
# the generated-by line, each output verbatim with when, how, where and the
# load, a busy machine said so (maybe so, for an older load-average
# warning), a missing output named with the command that makes it, other
# outputs included, no path of this machine.
case_bench_perfdoc_builds_the_page() {
    [ -x /usr/bin/python3 ] || exit 77
    mkdir -p "$T/o"
    cat >"$T/o/bench-results.txt" <<EOF
assure benchmark (tests/bench/bench.sh): median of 3 runs, interleaved
measured: 2026-12-01T03:00Z
command: RUNS="3" tests/bench/bench.sh
machine: 2 cores, Test CPU, x86_64, Debian GNU/Linux 12 (bookworm), SQLite 3.40.1
load at start (1-minute average): 0.20
assure: $ROOT/build/assure (assure 0.1.0)

GROWTH (CSV to exception list)
      rows tool                            import     check       e2e   peak MB   load
     10000 assure (check --jobs 2)          17.12     42.72     59.84      11.3   0.31
     10000 sqlite3 CLI, checks.sql              -      2.80         -       5.7   0.31
    100000 assure (check --jobs 2)           6.90     12.12     19.02      17.6   1.78  WARNING: other processes kept 0.80 cores busy
    100000 sqlite3 CLI, checks.sql              -      2.00         -       6.1   0.40

RATIOS
EOF
    cat >"$T/o/latency-bench.txt" <<EOF
interactive latency (tests/bench/latency_bench.sh): 3 interleaved rounds, medians
measured: 2026-12-01T04:00Z
command: ROUNDS="3" tests/bench/latency_bench.sh
machine: 2 cores, Test CPU, x86_64, Debian GNU/Linux 12 (bookworm), SQLite 3.40.1
load at start (1-minute average): 3.10  WARNING: load 3.10 > 1
check of the example (verified db)       new       196.3      68.1       180  7.16/9.50
WARNING: the 1-minute load average went above 1 during these rounds
EOF
    echo "an extra bench's table" >"$T/o/extra-bench.txt"
    /usr/bin/python3 "$ROOT/tests/bench/perfdoc.py" --out "$T/o" --note "A smoke run." "$T/doc.md" \
        >"$T/out" 2>"$T/err" || fail "perfdoc.py failed"
    local d=$T/doc.md
    head -5 "$d" | grep -q 'Generated by tests/bench/perfdoc.py' || fail "no generated-by line"
    grep -qF '     10000 assure (check --jobs 2)          17.12     42.72     59.84      11.3   0.31' "$d" ||
        fail "bench-results.txt not copied verbatim"
    # shellcheck disable=SC2016 # the backticks are Markdown
    grep -qF 'measured 2026-12-01T03:00Z; by `RUNS="3" tests/bench/bench.sh`; on 2 cores, Test CPU' "$d" ||
        fail "no date, command and machine for bench-results.txt"
    grep -qF 'load average at the start 0.20.' "$d" || fail "no load for bench-results.txt"
    grep -qF 'check of the example (verified db)       new       196.3' "$d" ||
        fail "latency-bench.txt not copied"
    # bench-results warns of other processes; latency has an older bench's
    # load-average warning, which may be the bench's own load
    [ "$(grep -c '^\*\*Measured on a busy machine' "$d")" -eq 1 ] ||
        fail "the busy machine is not said exactly once (bench, not latency or the extra)"
    [ "$(grep -c '^\*\*Maybe measured on a busy machine' "$d")" -eq 1 ] ||
        fail "latency's load-average warning is not said to be maybe the bench's own"
    # shellcheck disable=SC2016
    grep -qF 'run `tests/bench/memory_bench.sh`' "$d" || fail "the missing memory bench is not named"
    grep -qF "an extra bench's table" "$d" || fail "another out/*.txt was left out"
    [ "$(grep -c '^\*\*A smoke run.\*\*$' "$d")" -eq 3 ] || fail "the note is not on every section"
    grep -qF "$ROOT" "$d" && fail "the page holds this machine's path to the checkout"
    grep -q '@@' "$d" && fail "a placeholder was left in the page"
    # the growth table as a picture beside the page: a line for assure's two
    # sizes, a point for each of the CLI's memory figures
    grep -qF '](performance-growth.svg)' "$d" || fail "the growth chart is not on the page"
    [ "$(grep -c '<polyline' "$T/performance-growth.svg")" -eq 3 ] ||
        fail "the chart does not draw assure's e2e and memory and the CLI's memory"
    grep -qF 'sqlite3 CLI, checks.sql' "$T/performance-growth.svg" || fail "the chart has no legend"
    # the template names every section the page has had since it was generated
    grep -q '^@@out bench-results ' "$ROOT/tests/bench/performance.md.in" || fail "template lost bench-results"
    true
}
