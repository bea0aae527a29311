#!/usr/bin/env bash
# What progress costs an import: the same CSV imported with progress off,
# drawn live on a terminal (a pseudo-terminal made by script(1), redrawn 4
# times a second) and as log lines (--progress), the three interleaved run
# by run (the order turning each round) so that the machine's load falls
# on each alike. Prints the median of each (wall clock, and CPU time --
# user + system -- which the load of other processes disturbs less), its
# ratio to off, and the load average before and after.
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

# Each prints the import's elapsed and CPU seconds, measured inside the terminal for
# the terminal runs (so that script's own start is not counted).
off() {
    rm -f "$work/db"*
    script -qec "/usr/bin/time -f \"%e %U %S\" -o $work/t $assure ${args[*]} --quiet" /dev/null >/dev/null
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/t"
}
live() {
    rm -f "$work/db"*
    script -qec "/usr/bin/time -f \"%e %U %S\" -o $work/t $assure ${args[*]}" /dev/null >"$work/screen"
    grep -q ' rows, ' "$work/screen" || { echo "no progress was drawn" >&2; exit 1; }
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/t"
}
log() {
    rm -f "$work/db"*
    /usr/bin/time -f "%e %U %S" -o "$work/t" "$assure" "${args[@]}" --progress >/dev/null 2>"$work/log"
    grep -q 'rows read in' "$work/log" || { echo "no progress was logged" >&2; exit 1; }
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/t"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/off"
: >"$work/live"
: >"$work/logs"
# the order turns each round, so that a load rising or falling during the
# run does not always fall on the same one
for i in $(seq "$runs"); do
    case $((i % 3)) in
    0) off >>"$work/off"; live >>"$work/live"; log >>"$work/logs" ;;
    1) live >>"$work/live"; log >>"$work/logs"; off >>"$work/off" ;;
    2) log >>"$work/logs"; off >>"$work/off"; live >>"$work/live" ;;
    esac
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
col() { cut -d' ' -f"$1" "$2" | median; }
all() { cut -d' ' -f"$1" "$2" | tr '\n' ' '; }
awk -v rows="$rows" -v size="$size" -v runs="$runs" \
    -v o="$(col 1 "$work/off")" -v l="$(col 1 "$work/live")" -v g="$(col 1 "$work/logs")" \
    -v oc="$(col 2 "$work/off")" -v lc="$(col 2 "$work/live")" -v gc="$(col 2 "$work/logs")" \
    -v ao="$(all 1 "$work/off")" -v al="$(all 1 "$work/live")" -v ag="$(all 1 "$work/logs")" \
    -v lb="$load_before" -v la="$load_after" 'BEGIN {
    printf "import of %d rows (%.1f MB CSV), median of %d interleaved runs\n", rows, size / 1e6, runs
    printf "  %-24s %8s %8s   %s\n", "", "wall", "CPU", "wall of each run"
    printf "  %-24s %7.2fs %7.2fs   %s\n", "progress off", o, oc, ao
    printf "  %-24s %7.2fs %7.2fs   %s\n", "live, on a terminal", l, lc, al
    printf "  %-24s %7.2fs %7.2fs   %s\n", "log lines (--progress)", g, gc, ag
    printf "  ratio live / off: wall %.3f, CPU %.3f\n", l / o, lc / oc
    printf "  ratio log / off:  wall %.3f, CPU %.3f\n", g / o, gc / oc
    printf "  load average before: %s   after: %s\n", lb, la
}'
