#!/usr/bin/env bash
# Run history benchmark, measured in one run on this machine: the standard
# rules over ROWS synthetic audit actions, as `assure check` (history off:
# nothing is recorded) against `assure run` (history on: the run and every
# finding recorded, each finding classified new, still open or cleared).
# The first recorded run writes every finding; the next ones, with the same
# data, update them. Also the bytes the history adds per 1,000 findings.
#
#   tests/bench/history_bench.sh [ROWS] [RUNS]      (defaults: 1000000 3)
#
# Needs build/assure, sqlite3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
runs=${2:-3}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
map=fixtures/bench/map.yaml
as_of=2024-06-30
awk -v rows="$rows" -f tests/bench/gen_standard_actions.awk >"$work/audit_actions.csv"
"$assure" import --quiet --map "$map" --db "$work/db" --as-of "$as_of" --accept-gate stale-export \
    audit_actions="$work/audit_actions.csv"
budget=(--max-findings 10000000 --timeout 600)

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # FILE command...: appends the seconds taken
    local out=$1
    shift
    /usr/bin/time -q -f "%e" -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
        [ $? -le 1 ] || { cat "$work/err" >&2; exit 1; }
    }
    cat "$work/t" >>"$out"
}
size() { sqlite3 "$work/db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; stat -c %s "$work/db"; }

load=$(cut -d' ' -f1 /proc/loadavg)
for _ in $(seq "$runs"); do
    timed "$work/off" "$assure" check --map "$map" --db "$work/db" --rules rules --as-of "$as_of" \
        "${budget[@]}" --format csv
done
before=$(size)
timed "$work/first" "$assure" run --quiet --map "$map" --db "$work/db" --rules rules \
    --as-of "$as_of" "${budget[@]}"
after=$(size)
findings=$(sqlite3 "$work/db" "SELECT count(*) FROM assure_run_findings")
for _ in $(seq "$runs"); do
    timed "$work/on" "$assure" run --quiet --map "$map" --db "$work/db" --rules rules \
        --as-of "$as_of" "${budget[@]}"
done
off=$(median <"$work/off")
on=$(median <"$work/on")
first=$(cat "$work/first")
awk -v rows="$rows" -v runs="$runs" -v off="$off" -v on="$on" -v first="$first" \
    -v f="$findings" -v b="$before" -v a="$after" -v load="$load" \
    -v load2="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "standard rules over %d actions, %d findings; median of %d runs (load %s before, %s after)\n", rows, f, runs, load, load2
    printf "  assure check (history off)            %8.2f s\n", off
    printf "  assure run, first recorded run        %8.2f s  ratio %.2f\n", first, first / off
    printf "  assure run, the same data again       %8.2f s  ratio %.2f\n", on, on / off
    printf "  history added by the first run: %.1f MB, %.0f bytes per 1,000 findings\n", (a - b) / 1e6, f ? (a - b) / f * 1000 : 0
}'
