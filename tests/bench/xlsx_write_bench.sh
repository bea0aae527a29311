#!/usr/bin/env bash
# Exception-list writing benchmark: the same check (one rule flagging every
# row of a synthetic tracker, three evidence values each) written as CSV, as
# an Excel workbook and as JSON, in one run on this machine. The write time
# is the command's wall clock less the check's own (--profile's "total"),
# so it holds the sorting into reading order and the formatting of the list.
# Prints medians, rows/s and the xlsx:csv ratio, with the load average.
#
#   tests/bench/xlsx_write_bench.sh [ROWS] [RUNS]      (defaults: 120000 3)
#
# Needs build/assure (scripts/build.sh) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-120000}
runs=${2:-3}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v rows="$rows" -f tests/bench/gen_actions.awk >"$work/actions.csv"
"$assure" import --quiet --map fixtures/test/map.yaml --db "$work/db" --as-of 2022-10-03 \
    actions="$work/actions.csv"
mkdir "$work/rules"
cat >"$work/rules/every.lua" <<'LUA'
return { id = "every", title = "every action", severity = "medium", category = "overdue",
  description = "flags every action, for the benchmark",
  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject, 'due ' || due AS message, area, due,
             CASE priority WHEN 'high' THEN 'high' END AS severity,
             priority AS evidence_priority, extensions AS evidence_extensions,
             cost AS evidence_cost
        FROM actions ORDER BY action_id]])
  end }
LUA

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Prints "wall_seconds check_seconds" for one run in format $1.
one() {
    local out=$work/list.$1
    rm -f "$out"
    /usr/bin/time -f "%e" -o "$work/t" "$assure" check --map fixtures/test/map.yaml \
        --db "$work/db" --rules "$work/rules" --as-of 2022-10-03 --format "$1" \
        --max-findings $((rows + 1)) --memory 2048 --timeout 600 --output "$out" --profile \
        2>"$work/profile" || [ $? -eq 1 ]
    local check_ms
    check_ms=$(awk '$1 == "total" {print $2}' "$work/profile")
    echo "$(tail -n 1 "$work/t") $(awk -v ms="$check_ms" 'BEGIN {print ms / 1000}')"
}

echo "findings: $rows; runs: $runs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A write
for f in csv xlsx json; do
    : >"$work/w.$f"
    for _ in $(seq "$runs"); do
        one "$f" | awk '{printf "%.3f\n", $1 - $2}' >>"$work/w.$f"
    done
    write[$f]=$(median <"$work/w.$f")
    size=$(stat -c %s "$work/list.$f")
    awk -v f="$f" -v s="${write[$f]}" -v n="$rows" -v b="$size" -v la="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN {printf "%-5s write %7.3f s  %9.0f rows/s  %6.1f MB  (load %s)\n", f, s, (s > 0 ? n / s : 0), b / 1e6, la}'
done
awk -v x="${write[xlsx]}" -v c="${write[csv]}" -v j="${write[json]}" -v la="$(cut -d' ' -f1-3 /proc/loadavg)" \
    'BEGIN {printf "ratio xlsx:csv write time %.2f, json:csv %.2f  (load average after: %s)\n", (c > 0 ? x / c : 0), (c > 0 ? j / c : 0), la}'
