#!/usr/bin/env bash
# The benchmark suite. Every figure is measured beside its anchor in the same
# run on the same machine, interleaved run by run; medians of RUNS runs. The
# 1-minute load average when each line's measurement ended is printed beside
# it, with a WARNING when it is above 1 (a busy machine: slower figures).
#
#   tests/bench/bench.sh                      10k 100k 1M 3M rows, 3 runs
#   BENCH_BIG=1 tests/bench/bench.sh          and 10M rows (a 10M-row CSV is 1.3 GB)
#   BENCH_SIZES="10000 100000" RUNS=1 tests/bench/bench.sh   a quick smoke run
#
# Writes the tables to out/bench-results.txt as well as printing them.
#   IMPORT   assure import  vs  sqlite3 .import  vs  a bare prepared-INSERT loop
#   GROWTH   CSV to exception list of the seven audit-action rules of
#            tests/bench/checks.sql, as the rows grow: assure import + check,
#            DuckDB with 1 and 2 threads (tests/bench/duckdb_checks.mjs),
#            pandas (tests/bench/pandas_checks.py), and the sqlite3 CLI
#            running checks.sql on assure's database; us per row of import,
#            check and end to end, and peak memory
#   COUNTS   the findings per rule of every tool, which must be identical
#            (the bench fails if they are not: different work is no comparison)
#   RATIOS   the targets of issue 15 that these tables measure
#   SAME SQL the rules' own SQL in the sqlite3 CLI vs assure check of them
#   JOBS     assure check --jobs 2 over --jobs 1
#   TARGETS  each of those targets at the largest size, beside its anchor
# Needs build/assure, sqlite3, cc, GNU time, node and npm (DuckDB is installed
# from the npm registry into out/bench-node/ on first use, by
# tests/bench/duckdb_setup.sh), python3-pandas (installed with apt-get if
# missing). All of them for the benchmark only: none is a dependency of assure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
sizes=${BENCH_SIZES:-"10000 100000 1000000 3000000"}
case ${BENCH_BIG:-} in
"" | 0) ;;
1) sizes="$sizes 10000000" ;;
*) sizes="$sizes $BENCH_BIG" ;;
esac
runs=${RUNS:-3}
assure=$PWD/${ASSURE:-build/assure}
as_of=2022-10-03
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out
results=out/bench-results.txt
[ -x "$assure" ] || { echo "bench: no $assure (build first)" >&2; exit 1; }

if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
    echo "bench: installing python3-pandas (for the comparison only)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pandas >/dev/null
fi
DUCKDB_NODE_DIR=$(tests/bench/duckdb_setup.sh)
export DUCKDB_NODE_DIR
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$work/insert_floor" tests/bench/insert_floor.c $(pkg-config --cflags --libs sqlite3)

# the seven rules of checks.sql, for assure's --rule and the counts
tests/bench/rule_counts.py rules tests/bench/checks.sql >"$work/rules"
tests/bench/rule_counts.py sql tests/bench/checks.sql >"$work/counts.sql"
seven=()
while read -r r; do seven+=(--rule "$r"); done <"$work/rules"
check=("$assure" check --map fixtures/bench/map.yaml --rules rules --as-of "$as_of" --format csv
    --max-findings 100000000)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed LABEL command...: appends "seconds peak_kib" to $work/LABEL (wall time
# to the microsecond, peak RSS of the largest process from GNU time) and the
# load when it ended to $work/LABEL.load; its stderr is left in $work/err, its
# stdout discarded.
# An exit code above maxrc fails the bench (1 by default: assure check exits
# 1 when it finds exceptions; maxrc=0 for the sqlite3 CLI and the anchors).
timed() {
    local label=$1 t0 t1 rc=0 max=${maxrc:-1}
    shift
    t0=$EPOCHREALTIME
    /usr/bin/time -q -f "%M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || rc=$?
    t1=$EPOCHREALTIME
    if [ "$rc" -gt "$max" ]; then
        cat "$work/err" >&2
        echo "bench: $label failed (exit $rc): $*" >&2
        exit 1
    fi
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') $(tail -1 "$work/t")" \
        >>"$work/$label"
    load1 >>"$work/$label.load"
}
# phases LABEL: the "load S check S" the anchor printed on stderr, appended
# to $work/LABEL.phase
phases() {
    sed -n 's/.* load \([0-9.]*\) check \([0-9.]*\).*/\1 \2/p' "$work/err" | tail -1 >>"$work/$1.phase"
}
sec() { cut -d' ' -f1 "$work/$1" | median; }
kib() { cut -d' ' -f2 "$work/$1" | median; }
phase() { cut -d' ' -f"$2" "$work/$1.phase" | median; }
lastload() { tail -1 "$work/$1.load"; }

{
echo "assure benchmark (tests/bench/bench.sh): median of $runs runs, interleaved"
bench_header "tests/bench/bench.sh" BENCH_SIZES BENCH_BIG RUNS ASSURE
echo "assure: ${ASSURE:-build/assure} ($("$assure" --version 2>/dev/null | head -1); $(build_of "$assure"))"
echo "anchors: DuckDB $(node -e "console.log(require('$DUCKDB_NODE_DIR/node_modules/@duckdb/node-api/package.json').version)") (npm @duckdb/node-api, Node.js $(node --version)), pandas $(/usr/bin/python3 -c 'import pandas; print(pandas.__version__)') (Debian python3-pandas)"
echo "load: the 1-minute load average when the line's measurement ended"
echo

echo "IMPORT (test map 'actions': 9 typed columns, unique key, pattern, reference, enum, dates)"
printf "%10s %13s %14s %13s %8s %8s %8s %7s %6s\n" rows "assure rows/s" ".import rows/s" "floor rows/s" \
    "vs .imp" "vs floor" "RSS MB" "us/row" load
for n in $sizes; do
    awk -v rows="$n" -f tests/bench/gen_actions.awk >"$work/actions.csv"
    for _ in $(seq "$runs"); do
        rm -f "$work"/a.db*
        maxrc=0 timed "imp_assure_$n" "$assure" import -q --map fixtures/test/map.yaml --db "$work/a.db" \
            actions="$work/actions.csv"
        rm -f "$work"/s.db*
        sqlite3 "$work/s.db" "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
          CREATE TABLE actions(action_id TEXT NOT NULL, area TEXT NOT NULL, priority TEXT NOT NULL,
            due TEXT NOT NULL, revised TEXT, extensions INTEGER, cost REAL, verified INTEGER,
            note TEXT); CREATE UNIQUE INDEX k ON actions(action_id);" >/dev/null
        maxrc=0 timed "imp_sqlite_$n" sqlite3 "$work/s.db" ".import --csv --skip 1 $work/actions.csv actions"
        rm -f "$work"/f.db*
        maxrc=0 timed "imp_floor_$n" "$work/insert_floor" "$work/actions.csv" "$work/f.db"
    done
    rm -f "$work"/[asf].db* "$work/actions.csv"
    a=$(sec "imp_assure_$n") s=$(sec "imp_sqlite_$n") f=$(sec "imp_floor_$n") r=$(kib "imp_assure_$n")
    echo "$f $a" >"$work/floor_$n"
    l=$(lastload "imp_floor_$n")
    awk -v n="$n" -v a="$a" -v s="$s" -v f="$f" -v r="$r" -v l="$l" -v w="$(load_note "$l")" 'BEGIN {
        printf "%10d %13.0f %14.0f %13.0f %8.2f %8.2f %8.1f %7.2f %6s%s\n", n, n/a, n/s, n/f, s/a, f/a,
            r/1024, a*1e6/n, l, w }'
done
echo "  vs .imp, vs floor: their time over assure's (> 1: assure is faster)"
echo

echo "GROWTH (CSV to exception list of the seven audit_actions rules of checks.sql, as of $as_of;"
echo "        standard model audit_actions from gen_standard_actions.awk; us per row, peak RSS of"
echo "        the largest process: for assure the larger of import and check)"
printf "%10s %-28s %9s %9s %9s %9s %6s\n" rows tool "import" "check" "e2e" "peak MB" load
tools=(assure duck1 duck2 pandas sql)
declare -A tname=([assure]="assure (check --jobs 2)" [duck1]="DuckDB, 1 thread"
    [duck2]="DuckDB, 2 threads" [pandas]="pandas" [sql]="sqlite3 CLI, checks.sql")
for n in $sizes; do
    awk -v rows="$n" -f tests/bench/gen_standard_actions.awk >"$work/std.csv"
    for _ in $(seq "$runs"); do
        rm -f "$work"/std.db*
        maxrc=0 timed "imp_$n" "$assure" import -q --map fixtures/bench/map.yaml --db "$work/std.db" \
            audit_actions="$work/std.csv"
        timed "chk_$n" "${check[@]}" --db "$work/std.db" --jobs 2 "${seven[@]}" \
            --output "$work/assure.csv"
        maxrc=0 timed "sql_$n" sqlite3 "$work/std.db" ".read tests/bench/checks.sql"
        for t in 1 2; do
            rm -f "$work"/duck.db*
            maxrc=0 timed "duck${t}_$n" node tests/bench/duckdb_checks.mjs "$work/std.csv" \
                "$as_of" "$work/duck$t.csv" "$t" "$work/duck.db"
            phases "duck${t}_$n"
        done
        maxrc=0 timed "pandas_$n" /usr/bin/python3 tests/bench/pandas_checks.py "$work/std.csv" \
            "$as_of" "$work/pandas.csv"
        phases "pandas_$n"
    done
    rm -f "$work"/duck.db*
    i=$(sec "imp_$n") c=$(sec "chk_$n")
    m=$(kib "imp_$n") mc=$(kib "chk_$n")
    [ "$mc" -gt "$m" ] && m=$mc
    declare -A imp chk e2e mem
    imp[assure]=$i chk[assure]=$c e2e[assure]=$(awk -v a="$i" -v b="$c" 'BEGIN { print a + b }')
    mem[assure]=$m
    for t in duck1 duck2 pandas; do
        imp[$t]=$(phase "${t}_$n" 1) chk[$t]=$(phase "${t}_$n" 2) e2e[$t]=$(sec "${t}_$n")
        mem[$t]=$(kib "${t}_$n")
    done
    imp[sql]="" chk[sql]=$(sec "sql_$n") e2e[sql]="" mem[sql]=$(kib "sql_$n")
    declare -A lastl=([assure]=$(lastload "chk_$n") [duck1]=$(lastload "duck1_$n")
        [duck2]=$(lastload "duck2_$n") [pandas]=$(lastload "pandas_$n") [sql]=$(lastload "sql_$n"))
    for t in "${tools[@]}"; do
        l=${lastl[$t]}
        awk -v n="$n" -v t="${tname[$t]}" -v i="${imp[$t]}" -v c="${chk[$t]}" -v e="${e2e[$t]}" \
            -v m="${mem[$t]}" -v l="$l" -v w="$(load_note "$l")" '
            function us(s) { return s == "" ? "-" : sprintf("%.2f", s * 1e6 / n) }
            BEGIN { printf "%10d %-28s %9s %9s %9s %9.1f %6s%s\n", n, t, us(i), us(c), us(e), m / 1024, l, w }'
    done
    # the same work? rows per rule of every tool's list (the last run's)
    for t in assure duck1 duck2 pandas; do
        tests/bench/rule_counts.py csv "$work/$t.csv" >"$work/$t.counts"
    done
    sqlite3 "$work/std.db" ".read $work/counts.sql" >"$work/sql.counts"
    if ! tests/bench/rule_counts.py compare "$work/rules" assure="$work/assure.counts" \
        duckdb-1="$work/duck1.counts" duckdb-2="$work/duck2.counts" pandas="$work/pandas.counts" \
        sqlite3="$work/sql.counts" >"$work/compare"; then
        echo "COUNTS at $n rows differ:"
        cat "$work/compare"
        echo "bench: the tools found different rows at $n rows; fix the anchor (not the rule) and rerun" >&2
        exit 1
    fi
    echo "$n $(tail -1 "$work/compare" | sed 's/^ *//'), $(awk '$1 != "rule" && NF > 2 { s += $2 }
        END { print s }' "$work/compare") findings" >>"$work/counts.lines"
    # the ratios of this size, for the RATIOS table; the load beside them is
    # the highest of the lines they come from
    l=$(printf '%s\n' "${lastl[assure]}" "${lastl[duck1]}" "$(lastload "imp_floor_$n")" | sort -g | tail -1)
    echo "$n ${e2e[assure]} ${e2e[duck1]} ${mem[assure]} ${mem[duck1]} ${imp[assure]} ${imp[duck1]}" \
        "$(cat "$work/floor_$n") $l" >>"$work/ratios"
    rm -f "$work"/{assure,duck1,duck2,pandas}.csv
done
echo "  import: assure import; the anchors' load into a typed table, timed inside the process"
echo "  check: assure check; the anchors' checks and the list written, timed inside the process"
echo "  e2e: the whole, each process's start included"
echo
echo "COUNTS (findings per rule of assure, DuckDB 1 and 2 threads, pandas, sqlite3 checks.sql)"
awk '{ n = $1; $1 = ""; printf "%10d %s\n", n, substr($0, 2) }' "$work/counts.lines"
echo

echo "RATIOS (issue 15's targets; 'yes' when met)"
printf "%10s %17s %17s %17s %17s %6s\n" rows "e2e/DuckDB-1t" "peak/DuckDB-1t" "import vs floor" \
    "import vs DuckDB" load
printf "%10s %17s %17s %17s %17s\n" target "<= 1.0" "<= 0.20" ">= 1.3" ">= 1.0"
while read -r n ae de am dm ai di ff fa l; do
    awk -v n="$n" -v ae="$ae" -v de="$de" -v am="$am" -v dm="$dm" -v ai="$ai" -v di="$di" \
        -v ff="$ff" -v fa="$fa" -v l="$l" -v w="$(load_note "$l")" '
        function r(x, ok) { return sprintf("%.2f %-3s", x, ok ? "yes" : "no") }
        BEGIN { printf "%10d %17s %17s %17s %17s %6s%s\n", n, r(ae/de, ae/de <= 1.0),
            r(am/dm, am/dm <= 0.2), r(ff/fa, ff/fa >= 1.3), r(di/ai, di/ai >= 1.0), l, w }'
done <"$work/ratios"
echo "  e2e/DuckDB-1t: assure import + check over DuckDB's whole run with one thread"
echo "  peak/DuckDB-1t: assure's peak memory over DuckDB's (one thread)"
echo "  import vs floor: the bare INSERT loop's time over assure import's (IMPORT table, same size)"
echo "  import vs DuckDB: DuckDB's constrained load over assure import (GROWTH table)"
echo "  load: the highest of the loads of the lines each ratio comes from"
echo

big=$(echo "$sizes" | tr ' ' '\n' | sort -n | tail -1)
echo "SAME SQL ($big rows: the rules that make findings with ctx:flag_rows)"
tests/bench/rules_sql.py rules "$as_of" >"$work/rules.sql" 2>"$work/left"
flagrules=()
while read -r r; do flagrules+=(--rule "$r"); done < <(sed -n 's/^-- //p' "$work/rules.sql")
for _ in $(seq "$runs"); do
    maxrc=0 timed same_cli sqlite3 "$work/std.db" ".read $work/rules.sql"
    timed same_j1 "${check[@]}" --db "$work/std.db" --jobs 1 "${flagrules[@]}"
    timed same_j2 "${check[@]}" --db "$work/std.db" --jobs 2 "${flagrules[@]}"
done
l=$(lastload same_j2)
awk -v q="$(sec same_cli)" -v a="$(sec same_j1)" -v b="$(sec same_j2)" -v l="$l" -v w="$(load_note "$l")" 'BEGIN {
    printf "  their own SQL in the sqlite3 CLI %.3f s; assure check --jobs 1 %.3f s (%.2fx: target <= 1.5, %s), --jobs 2 %.3f s (%.2fx); load %s%s\n",
        q, a, a/q, a/q <= 1.5 ? "met" : "not met", b, b/q, l, w }'
echo "  ($((${#flagrules[@]} / 2)) rules, the same queries: the difference is assure's own work --"
echo "  checks, fingerprints, sorting, output)"
sed 's/^rules_sql.py: /  /' "$work/left"
echo

echo "JOBS (assure check of the $(find rules -maxdepth 1 -name '*.lua' | wc -l) standard rules on $big rows)"
for _ in $(seq "$runs"); do
    timed jobs1 "${check[@]}" --db "$work/std.db" --jobs 1
    timed jobs2 "${check[@]}" --db "$work/std.db" --jobs 2
done
l=$(lastload jobs2)
awk -v a="$(sec jobs1)" -v b="$(sec jobs2)" -v l="$l" -v w="$(load_note "$l")" 'BEGIN {
    printf "  --jobs 1 %.3f s, --jobs 2 %.3f s, speed-up %.2f; load %s%s\n", a, b, a/b, l, w }'
# (check exits 1 when it finds exceptions: the profile is all this wants)
{ "${check[@]}" --db "$work/std.db" --jobs 1 --profile 2>&1 >/dev/null || true; } | head -6 |
    sed 's/^/  /'
l=$(load1)
echo "  (--profile of one run, --jobs 1, the slowest five rules; load $l$(load_note "$l"))"
echo

# Each target of issue 15 this bench measures, at the largest size, beside
# its anchor: the figures a closing note quotes.
echo "TARGETS ($big rows; each figure beside its anchor, from the tables above)"
read -r n ae de am dm ai di ff fa lr < <(tail -1 "$work/ratios")
ls=$(lastload same_j1)
awk -v ae="$ae" -v de="$de" -v am="$am" -v dm="$dm" -v ai="$ai" -v di="$di" -v ff="$ff" \
    -v fa="$fa" -v q="$(sec same_cli)" -v a="$(sec same_j1)" -v lr="$lr" -v wr="$(load_note "$lr")" \
    -v ls="$ls" -v ws="$(load_note "$ls")" '
    function line(what, fig, ok, l, w) {
        printf "  %-44s %-40s %-8s load %s%s\n", what, fig, ok ? "met" : "not met", l, w }
    BEGIN {
        line("end to end <= 1.0x DuckDB, 1 thread", sprintf("%.3f s / %.3f s = %.2fx", ae, de, ae/de),
            ae/de <= 1.0, lr, wr)
        line("peak memory <= 1/5 of DuckDB'"'"'s (1 thread)",
            sprintf("%.1f MB / %.1f MB = %.2f", am/1024, dm/1024, am/dm), am/dm <= 0.2, lr, wr)
        line("check --jobs 1 <= 1.5x the rules'"'"' own SQL",
            sprintf("%.3f s / %.3f s = %.2fx", a, q, a/q), a/q <= 1.5, ls, ws)
        line("import >= 1.3x the bare INSERT floor",
            sprintf("%.3f s floor / %.3f s = %.2fx", ff, fa, ff/fa), ff/fa >= 1.3, lr, wr)
        line("import no slower than DuckDB'"'"'s load",
            sprintf("%.3f s DuckDB / %.3f s = %.2fx", di, ai, di/ai), di/ai >= 1.0, lr, wr)
    }'
echo "  (the floor on the test map's actions, the rest on the standard audit_actions;"
echo "  the interactive-latency and memory targets: latency_bench.sh, memory_bench.sh)"
} | tee "$results"
