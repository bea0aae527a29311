#!/usr/bin/env bash
# Rule runtime benchmark, measured in one run on this machine:
#  - the cost of a rule that flags nothing (fork, sandbox, map view, its own
#    database connection): 21 empty rules against 1, per extra rule;
#  - rows per second through ctx:rows, next to the same SELECT run by the
#    sqlite3 CLI (output thrown away) on the same database.
#
#   tests/bench/rules_bench.sh [ROWS] [RUNS]      (defaults: 1000000 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
runs=${2:-5}
assure=${ASSURE:-build/assure}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

awk -v rows="$rows" -f tests/bench/gen_actions.awk >"$work/actions.csv"
"$assure" import --quiet --map fixtures/test/map.yaml --db "$work/db" actions="$work/actions.csv"

rule() { # id body
    cat >"$2/$1.lua" <<LUA
return { id = "$1", title = "bench", severity = "low", category = "bench", description = "bench",
  check = function(ctx) $3 end }
LUA
}
mkdir -p "$work/one" "$work/many" "$work/scan"
rule empty "$work/one" ""
for i in $(seq -w 0 20); do rule "empty$i" "$work/many" ""; done
rule scan "$work/scan" 'local n = 0
  for r in ctx:rows("SELECT * FROM actions") do n = n + 1 end
  assert(n == '"$rows"')'

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { # command...
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || [ $? -le 1 ]
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f\n", b - a}'
}
check() { "$assure" check --map fixtures/test/map.yaml --db "$work/db" --rules "$1" --jobs 1 --timeout 600; }

for _ in $(seq "$runs"); do
    seconds check "$work/one" >>"$work/t_one"
    seconds check "$work/many" >>"$work/t_many"
    seconds check "$work/scan" >>"$work/t_scan"
    seconds sqlite3 "$work/db" "SELECT * FROM actions" >>"$work/t_sqlite"
done
one=$(median <"$work/t_one")
many=$(median <"$work/t_many")
scan=$(median <"$work/t_scan")
cli=$(median <"$work/t_sqlite")

awk -v rows="$rows" -v runs="$runs" -v one="$one" -v many="$many" -v scan="$scan" -v cli="$cli" 'BEGIN {
    printf "rule runtime, %d rows, median of %d runs, --jobs 1\n", rows, runs
    printf "  check with 1 empty rule              %8.3f s\n", one
    printf "  check with 21 empty rules            %8.3f s\n", many
    printf "  cost of a rule that flags nothing    %8.2f ms\n", (many - one) / 20 * 1000
    printf "  ctx:rows over every row              %8.3f s  %10.0f rows/s\n", scan - one, rows / (scan - one)
    printf "  sqlite3 CLI, same SELECT             %8.3f s  %10.0f rows/s\n", cli, rows / cli
    printf "  ratio (ctx:rows rows/s over sqlite3) %8.2f\n", cli / (scan - one)
}'
