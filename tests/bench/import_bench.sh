#!/usr/bin/env bash
# Import benchmark: `assure import` against the sqlite3 CLI's `.import` of the
# same CSV into a table of the same shape (same columns and declared types,
# unique key index), both measured in this run on this machine. sqlite3 checks
# nothing (it stores "yes" in an INTEGER column as text); assure validates
# every value. Prints medians and the ratio.
#
#   tests/bench/import_bench.sh [ROWS] [RUNS]      (defaults: 1000000 3)
#
# Needs build/assure (scripts/build.sh), sqlite3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
runs=${2:-3}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v rows="$rows" -f tests/bench/gen_actions.awk >"$work/actions.csv"
size=$(stat -c %s "$work/actions.csv")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Each run prints "seconds peak_kib".
run_assure() {
    rm -f "$work/a.db"*
    /usr/bin/time -f "%e %M" -o "$work/t" "$assure" import --quiet --map fixtures/test/map.yaml \
        --db "$work/a.db" actions="$work/actions.csv"
    cat "$work/t"
}
run_sqlite() {
    rm -f "$work/s.db"*
    sqlite3 "$work/s.db" "PRAGMA journal_mode=WAL;
      CREATE TABLE actions(action_id TEXT NOT NULL, area TEXT NOT NULL, priority TEXT NOT NULL,
        due TEXT NOT NULL, revised TEXT, extensions INTEGER, cost REAL, verified INTEGER,
        note TEXT);
      CREATE UNIQUE INDEX actions_key ON actions(action_id);" >/dev/null
    /usr/bin/time -f "%e %M" -o "$work/t" sqlite3 "$work/s.db" \
        ".import --csv --skip 1 $work/actions.csv actions" >"$work/sqlite.log" 2>&1
    [ "$(sqlite3 "$work/s.db" "SELECT count(*) FROM actions")" = "$rows" ] ||
        { echo "sqlite3 .import did not load every row:" >&2; head -3 "$work/sqlite.log" >&2; exit 1; }
    cat "$work/t"
}

: >"$work/a"
: >"$work/s"
for _ in $(seq "$runs"); do
    run_assure >>"$work/a"
    run_sqlite >>"$work/s"
done
a_sec=$(cut -d' ' -f1 "$work/a" | median)
s_sec=$(cut -d' ' -f1 "$work/s" | median)
a_rss=$(cut -d' ' -f2 "$work/a" | median)
s_rss=$(cut -d' ' -f2 "$work/s" | median)

awk -v rows="$rows" -v size="$size" -v runs="$runs" -v as="$a_sec" -v ss="$s_sec" \
    -v ar="$a_rss" -v sr="$s_rss" 'BEGIN {
    printf "import of %d rows (%.1f MB CSV), median of %d runs\n", rows, size / 1e6, runs
    printf "  %-22s %8.2f s %12.0f rows/s  peak RSS %7.1f MB\n", "assure import", as, rows / as, ar / 1024
    printf "  %-22s %8.2f s %12.0f rows/s  peak RSS %7.1f MB\n", "sqlite3 .import", ss, rows / ss, sr / 1024
    printf "  ratio (assure rows/s over sqlite3 rows/s): %.2f\n", ss / as
}'
