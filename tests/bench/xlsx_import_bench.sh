#!/usr/bin/env bash
# Spreadsheet import benchmark: `assure import` of an .xlsx workbook against
# the import of the same rows as CSV, both measured in this run on this
# machine (the CSV import is the baseline). The workbook is written from the
# CSV by csv_to_xlsx.py as Excel holds such a tracker: shared strings,
# date-styled serials. Both imports must store identical rows.
#
#   tests/bench/xlsx_import_bench.sh [ROWS] [RUNS]      (defaults: 1000000 3)
#
# Needs build/assure, python3, sqlite3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
runs=${2:-3}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v rows="$rows" -f tests/bench/gen_actions.awk >"$work/actions.csv"
python3 tests/bench/csv_to_xlsx.py "$work/actions.csv" "$work/actions.xlsx"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run FILE DB: prints "seconds peak_kib"
run() {
    rm -f "$2"*
    /usr/bin/time -f "%e %M" -o "$work/t" "$assure" import --quiet --map fixtures/test/map.yaml \
        --db "$2" --as-of 2022-10-03 --accept-gate stale-export actions="$1"
    cat "$work/t"
}
: >"$work/c"
: >"$work/x"
load=$(cut -d' ' -f1 /proc/loadavg)
for _ in $(seq "$runs"); do
    run "$work/actions.csv" "$work/c.db" >>"$work/c"
    run "$work/actions.xlsx" "$work/x.db" >>"$work/x"
done
q="SELECT action_id, area, priority, due, revised, extensions, cost, verified, note FROM actions ORDER BY 1"
cmp -s <(sqlite3 "$work/c.db" "$q") <(sqlite3 "$work/x.db" "$q") ||
    { echo "the workbook and the CSV did not store the same rows" >&2; exit 1; }
c_sec=$(cut -d' ' -f1 "$work/c" | median)
x_sec=$(cut -d' ' -f1 "$work/x" | median)
c_rss=$(cut -d' ' -f2 "$work/c" | median)
x_rss=$(cut -d' ' -f2 "$work/x" | median)
awk -v rows="$rows" -v runs="$runs" -v cs="$c_sec" -v xs="$x_sec" -v cr="$c_rss" -v xr="$x_rss" \
    -v csz="$(stat -c %s "$work/actions.csv")" -v xsz="$(stat -c %s "$work/actions.xlsx")" \
    -v load="$load" -v load2="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "import of %d rows, median of %d runs (load average %s before, %s after)\n", rows, runs, load, load2
    printf "  %-8s %7.1f MB %8.2f s %10.0f rows/s  peak RSS %7.1f MB\n", "CSV", csz / 1e6, cs, rows / cs, cr / 1024
    printf "  %-8s %7.1f MB %8.2f s %10.0f rows/s  peak RSS %7.1f MB\n", ".xlsx", xsz / 1e6, xs, rows / xs, xr / 1024
    printf "  ratio (xlsx rows/s over CSV rows/s): %.2f\n", cs / xs
}'
