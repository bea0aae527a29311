#!/usr/bin/env bash
# The benchmark suite. Every figure is a ratio against a baseline measured in
# the same run on the same machine; medians of RUNS runs.
#
#   tests/bench/bench.sh                      sizes 10k 100k 1M, 3 runs
#   BENCH_SIZES="100000 1000000 10000000" RUNS=3 tests/bench/bench.sh
#   BENCH_BIG=10000000 tests/bench/bench.sh   also one import of 10M rows
#
# Writes the table to out/bench-results.txt as well as printing it.
#   import   assure import  vs  sqlite3 .import  vs  a bare prepared-INSERT loop
#   check    the standard rules (assure check)  vs  the same checks as plain SQL
#   e2e      CSV to exception list: assure import + check  vs  a pandas script
#   memory   peak RSS of each, and of assure import as the file grows
#   jobs     assure check --jobs 2 over --jobs 1
# Needs build/assure, sqlite3, cc, GNU time; python3-pandas for the e2e part
# (installed with apt-get if missing: for the benchmark only).
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes=${BENCH_SIZES:-"10000 100000 1000000"}
runs=${RUNS:-3}
assure=$PWD/${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out
results=out/bench-results.txt

if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
    echo "bench: installing python3-pandas (for the comparison only)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pandas >/dev/null
fi
cc -O2 -o "$work/insert_floor" tests/bench/insert_floor.c $(pkg-config --cflags --libs sqlite3)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed LABEL command...: appends "seconds peak_kib" to $work/LABEL
timed() {
    local label=$1
    shift
    /usr/bin/time -q -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
        local rc=$?
        [ "$rc" -le 1 ] || { cat "$work/err" >&2; echo "bench: $label failed ($rc)" >&2; exit 1; }
    }
    cat "$work/t" >>"$work/$label"
}
sec() { cut -d' ' -f1 "$work/$1" | median; }
kib() { cut -d' ' -f2 "$work/$1" | median; }

{
echo "assure benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m)"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "median of $runs runs; ratios > 1 favour assure unless stated"
echo

echo "IMPORT (test map 'actions': 9 typed columns, unique key, pattern, reference, enum, dates)"
printf "%10s %14s %14s %14s %9s %9s %9s %9s\n" rows "assure rows/s" ".import rows/s" "floor rows/s" \
    "vs .imp" "vs floor" "RSS MB" "us/row"
for n in $sizes; do
    awk -v rows="$n" -f tests/bench/gen_actions.awk >"$work/actions.csv"
    for _ in $(seq "$runs"); do
        rm -f "$work"/a.db*
        timed "imp_assure_$n" "$assure" import -q --map fixtures/test/map.yaml --db "$work/a.db" \
            actions="$work/actions.csv"
        rm -f "$work"/s.db*
        sqlite3 "$work/s.db" "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
          CREATE TABLE actions(action_id TEXT NOT NULL, area TEXT NOT NULL, priority TEXT NOT NULL,
            due TEXT NOT NULL, revised TEXT, extensions INTEGER, cost REAL, verified INTEGER,
            note TEXT); CREATE UNIQUE INDEX k ON actions(action_id);" >/dev/null
        timed "imp_sqlite_$n" sqlite3 "$work/s.db" ".import --csv --skip 1 $work/actions.csv actions"
        rm -f "$work"/f.db*
        timed "imp_floor_$n" "$work/insert_floor" "$work/actions.csv" "$work/f.db"
    done
    a=$(sec "imp_assure_$n") s=$(sec "imp_sqlite_$n") f=$(sec "imp_floor_$n") r=$(kib "imp_assure_$n")
    awk -v n="$n" -v a="$a" -v s="$s" -v f="$f" -v r="$r" 'BEGIN {
        printf "%10d %14.0f %14.0f %14.0f %9.2f %9.2f %9.1f %9.2f\n", n, n/a, n/s, n/f, s/a, f/a, r/1024, a*1e6/n }'
done
# BENCH_BIG=10000000: one more import, of that many rows, for how time and
# peak RSS grow with the file (one run each; a 10M-row CSV is 712 MB).
if [ -n "${BENCH_BIG:-}" ]; then
    awk -v rows="$BENCH_BIG" -f tests/bench/gen_actions.awk >"$work/actions.csv"
    rm -f "$work"/a.db*
    timed big_assure "$assure" import -q --map fixtures/test/map.yaml --db "$work/a.db" \
        actions="$work/actions.csv"
    rm -f "$work"/a.db* "$work"/f.db*
    timed big_floor "$work/insert_floor" "$work/actions.csv" "$work/f.db"
    rm -f "$work"/f.db* "$work/actions.csv"
    awk -v n="$BENCH_BIG" -v a="$(sec big_assure)" -v f="$(sec big_floor)" \
        -v r="$(kib big_assure)" -v fr="$(kib big_floor)" 'BEGIN {
        printf "%10d %14.0f %14s %14.0f %9s %9.2f %9.1f %9.2f   (floor RSS %.1f MB)\n", n, n/a, "-",
            n/f, "-", f/a, r/1024, a*1e6/n, fr/1024 }'
fi
echo

big=$(echo "$sizes" | tr ' ' '\n' | sort -n | tail -1)
echo "CHECK and END TO END (standard model audit_actions, the 26 standard rules, as of 2022-10-03)"
printf "%10s %12s %12s %9s %12s %12s %9s %10s %10s\n" rows "check s" "SQL CLI s" "SQL/chk" \
    "assure e2e" "pandas e2e" "speed-up" "assure MB" "pandas MB"
for n in $sizes; do
    awk -v rows="$n" -f tests/bench/gen_standard_actions.awk >"$work/std.csv"
    for _ in $(seq "$runs"); do
        rm -f "$work"/std.db*
        timed "e2e_imp_$n" "$assure" import -q --map fixtures/bench/map.yaml --db "$work/std.db" \
            audit_actions="$work/std.csv"
        timed "chk_$n" "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" \
            --rules rules --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 2
        timed "sql_$n" sqlite3 "$work/std.db" ".read tests/bench/checks.sql"
        timed "pandas_$n" /usr/bin/python3 tests/bench/pandas_checks.py "$work/std.csv" 2022-10-03 \
            "$work/pandas.csv"
    done
    c=$(sec "chk_$n") q=$(sec "sql_$n") i=$(sec "e2e_imp_$n") p=$(sec "pandas_$n")
    am=$(kib "chk_$n") im=$(kib "e2e_imp_$n") pm=$(kib "pandas_$n")
    awk -v n="$n" -v c="$c" -v q="$q" -v i="$i" -v p="$p" -v am="$am" -v im="$im" -v pm="$pm" 'BEGIN {
        m = am > im ? am : im
        printf "%10d %12.3f %12.3f %9.2f %12.3f %12.3f %9.2f %10.1f %10.1f\n", n, c, q, q/c, i+c, p, p/(i+c), m/1024, pm/1024 }'
done
echo "  SQL/chk: the plain SQL's time over assure check's (1 = as fast; the target is >= 0.67)"
echo "  speed-up: pandas time over assure import + check; memory: peak RSS of the larger process"
echo

echo "SAME SQL ($big rows: the five rules that make findings with ctx:flag_rows)"
tests/bench/rules_sql.py rules 2022-10-03 >"$work/rules.sql"
flagrules=$(grep '^-- ' "$work/rules.sql" | sed 's/^-- /--rule /' | tr '\n' ' ')
for _ in $(seq "$runs"); do
    timed same_cli sqlite3 "$work/std.db" ".read $work/rules.sql"
    # shellcheck disable=SC2086
    timed same_j1 "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules \
        --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 1 $flagrules
    # shellcheck disable=SC2086
    timed same_j2 "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules \
        --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 2 $flagrules
done
awk -v q="$(sec same_cli)" -v a="$(sec same_j1)" -v b="$(sec same_j2)" 'BEGIN {
    printf "  their own SQL in the sqlite3 CLI %.3f s; assure check --jobs 1 %.3f s (%.2fx), --jobs 2 %.3f s (%.2fx)\n", q, a, a/q, b, b/q }'
echo "  (the same queries, so the difference is assure's own work: checks, fingerprints, sorting, output)"
echo

echo "JOBS (assure check of the 26 standard rules on $big rows)"
for _ in $(seq "$runs"); do
    timed jobs1 "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules \
        --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 1
    timed jobs2 "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules \
        --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 2
done
awk -v a="$(sec jobs1)" -v b="$(sec jobs2)" 'BEGIN {
    printf "  --jobs 1 %.3f s, --jobs 2 %.3f s, speed-up %.2f\n", a, b, a/b }'
# (check exits 1 when it finds exceptions: the profile is all this wants)
{ "$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules \
    --as-of 2022-10-03 --format csv --max-findings 100000000 --jobs 1 --profile 2>&1 >/dev/null ||
    true; } | head -6 | sed 's/^/  /'
} | tee "$results"
