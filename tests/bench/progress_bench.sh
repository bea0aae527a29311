#!/usr/bin/env bash
# What progress costs an import: the same CSV imported with progress off,
# drawn live on a terminal (a pseudo-terminal made by script(1), redrawn 4
# times a second) and as log lines (--progress), the three interleaved run
# by run so that the machine's load falls on each alike. Prints the median
# of each, its ratio to off, and the load average before and after.
#
#   tests/bench/progress_bench.sh [ROWS] [RUNS]      (defaults: 1000000 3)
#
# Needs build/assure (scripts/build.sh), script (bsdutils) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
runs=${2:-3}
assure=$(realpath "${ASSURE:-build/assure}")
map=$(realpath fixtures/test/map.yaml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v rows="$rows" -f tests/bench/gen_actions.awk >"$work/actions.csv"
size=$(stat -c %s "$work/actions.csv")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# --as-of: the generated dates stay within the stale-export gate's reach
args=(import --map "$map" --db "$work/db" --as-of 2025-01-01 actions="$work/actions.csv")

# Each prints the import's elapsed seconds, measured inside the terminal for
# the terminal runs (so that script's own start is not counted).
off() {
    rm -f "$work/db"*
    script -qec "/usr/bin/time -f %e -o $work/t $assure ${args[*]} --quiet" /dev/null >/dev/null
    cat "$work/t"
}
live() {
    rm -f "$work/db"*
    script -qec "/usr/bin/time -f %e -o $work/t $assure ${args[*]}" /dev/null >"$work/screen"
    grep -q ' rows, ' "$work/screen" || { echo "no progress was drawn" >&2; exit 1; }
    cat "$work/t"
}
log() {
    rm -f "$work/db"*
    /usr/bin/time -f %e -o "$work/t" "$assure" "${args[@]}" --progress >/dev/null 2>"$work/log"
    grep -q 'rows read in' "$work/log" || { echo "no progress was logged" >&2; exit 1; }
    cat "$work/t"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/off"
: >"$work/live"
: >"$work/logs"
for _ in $(seq "$runs"); do
    off >>"$work/off"
    live >>"$work/live"
    log >>"$work/logs"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
o=$(median <"$work/off")
l=$(median <"$work/live")
g=$(median <"$work/logs")
awk -v rows="$rows" -v size="$size" -v runs="$runs" -v o="$o" -v l="$l" -v g="$g" \
    -v lb="$load_before" -v la="$load_after" -v all_o="$(tr '\n' ' ' <"$work/off")" \
    -v all_l="$(tr '\n' ' ' <"$work/live")" -v all_g="$(tr '\n' ' ' <"$work/logs")" 'BEGIN {
    printf "import of %d rows (%.1f MB CSV), median of %d interleaved runs\n", rows, size / 1e6, runs
    printf "  %-28s %7.2f s   (runs: %s)\n", "progress off", o, all_o
    printf "  %-28s %7.2f s   (runs: %s)\n", "live, on a terminal", l, all_l
    printf "  %-28s %7.2f s   (runs: %s)\n", "log lines (--progress)", g, all_g
    printf "  ratio live / off: %.3f   log / off: %.3f\n", l / o, g / o
    printf "  load average before: %s   after: %s\n", lb, la
}'
