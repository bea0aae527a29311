#!/usr/bin/env bash
# Board pack benchmark: the time 'assure report' takes to write the HTML
# report (and the map alone) of a recorded run of the standard rules over
# ROWS synthetic audit actions, and of the Met example. Median of RUNS.
#
#   tests/bench/report_bench.sh [ROWS] [RUNS]      (defaults: 40000 3)
#
# Needs build/assure and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-40000}
runs=${2:-3}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # FILE command...: appends the seconds taken
    local out=$1
    shift
    /usr/bin/time -q -f "%e" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    cat "$work/t" >>"$out"
}
load=$(cut -d' ' -f1 /proc/loadavg)

# the Met example
met=mappings/met-2021-22/map.yaml
exports=()
for f in fixtures/met-2021-22/*.csv; do exports+=(--export "$(basename "$f" .csv)=$f"); done
"$assure" run --quiet --map "$met" --db "$work/met.db" --rules rules --as-of 2022-10-03 \
    "${exports[@]}" || [ $? -eq 1 ]
for _ in $(seq "$runs"); do
    timed "$work/met" "$assure" report --map "$met" --db "$work/met.db" --rules rules -o "$work/met.html"
done

# the big run
map=fixtures/bench/map.yaml
awk -v rows="$rows" -f tests/bench/gen_standard_actions.awk >"$work/audit_actions.csv"
"$assure" run --quiet --map "$map" --db "$work/db" --rules rules --as-of 2024-06-30 \
    --max-findings 10000000 --timeout 600 --accept-gate stale-export \
    --export audit_actions="$work/audit_actions.csv" || [ $? -eq 1 ]
findings=$("$assure" history --db "$work/db" --format json |
    grep -o '"findings": [0-9]*' | tail -1 | grep -o '[0-9]*$')
for _ in $(seq "$runs"); do
    timed "$work/big" "$assure" report --map "$map" --db "$work/db" -o "$work/big.html"
    timed "$work/bigmap" "$assure" report --map "$map" --db "$work/db" --section map -o "$work/map.html"
done
printf 'load average %s before, %s after; median of %d\n' "$load" "$(cut -d' ' -f1 /proc/loadavg)" "$runs"
printf '  Met example (%s findings)            %6.2f s  %8d bytes\n' \
    "$(grep -o 'data-count="findings">[0-9]*' "$work/met.html" | grep -o '[0-9]*$')" \
    "$(median <"$work/met")" "$(stat -c %s "$work/met.html")"
printf '  %d findings, whole report         %6.2f s  %8d bytes\n' "$findings" \
    "$(median <"$work/big")" "$(stat -c %s "$work/big.html")"
printf '  %d findings, --section map        %6.2f s\n' "$findings" "$(median <"$work/bigmap")"
