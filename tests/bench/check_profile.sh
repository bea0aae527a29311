#!/usr/bin/env bash
# What bounds check at scale (issue 15's "check --jobs 1 <= 1.5x the rules'
# own SQL"): the rules of bench.sh's SAME SQL table (those that make their
# findings with ctx:flag_rows) over ROWS synthetic audit actions
# (gen_standard_actions.awk, default 100,000), counted by callgrind
# (instructions, so a busy machine does not skew them) in three columns:
#
#   sqlite3 CLI    the same queries (tests/bench/rules_sql.py), rows printed
#   parent         assure check --jobs 1 --format csv: taking the findings in,
#                  keeping them in order, writing the CSV
#   rule workers   their own work (collected from worker_main, so what a worker
#                  inherits from the parent at fork is not counted twice):
#                  SQLite running the queries, turning rows into findings
#                  (ctx:flag_rows does it in C), fingerprints, framing
#
# by library and by function (tests/bench/cgsum.py), with the number of
# findings and instructions per finding.
#
#   tests/bench/check_profile.sh               100,000 rows
#   ROWS=20000 tests/bench/check_profile.sh
#
# Writes out/check-profile.txt as well as printing it. Needs valgrind and
# sqlite3; takes a few minutes at 100,000 rows.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
rows=${ROWS:-100000}
assure=$PWD/${ASSURE:-build/assure}
as_of=2022-10-03
results=out/check-profile.txt
command -v valgrind >/dev/null || { echo "check_profile: needs valgrind" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "check_profile: needs sqlite3" >&2; exit 1; }
[ -x "$assure" ] || { echo "check_profile: no $assure (build first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out

awk -v rows="$rows" -f tests/bench/gen_standard_actions.awk >"$work/std.csv"
"$assure" import -q --map fixtures/bench/map.yaml --db "$work/std.db" audit_actions="$work/std.csv"
tests/bench/rules_sql.py rules "$as_of" >"$work/rules.sql" 2>/dev/null
flagrules=()
while read -r r; do flagrules+=(--rule "$r"); done < <(sed -n 's/^-- //p' "$work/rules.sql")
[ ${#flagrules[@]} -gt 0 ] || { echo "check_profile: rules_sql.py found no rule to compare" >&2; exit 1; }
check=("$assure" check --map fixtures/bench/map.yaml --db "$work/std.db" --rules rules
    --as-of "$as_of" --format csv --max-findings 100000000 --jobs 1 "${flagrules[@]}")
# a first check verifies the database, as a person's earlier check would have
"${check[@]}" --output "$work/first.csv" >/dev/null 2>&1 || [ $? -le 1 ]
# (a CSV record may hold a line break inside quotes: count records, not lines)
findings=$(/usr/bin/python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))) - 1)' "$work/first.csv")

header=$(bench_header "tests/bench/check_profile.sh" ROWS ASSURE)
mkdir "$work/cg"
valgrind -q --tool=callgrind --callgrind-out-file="$work/cg/cli" \
    sqlite3 "$work/std.db" ".read $work/rules.sql" >/dev/null
# each profiled check must write the list the first one wrote
profiled() { # out-file-prefix list [valgrind option...]
    local prefix=$1 list=$2
    shift 2
    callgrind_of "$prefix" "$@" -- "${check[@]}" --output "$list"
    cmp -s "$work/first.csv" "$list" || { echo "check_profile: the profiled check wrote a different list" >&2; exit 1; }
}
profiled "$work/cg/all" "$work/a.csv"
parent=$cg_pid
profiled "$work/cg/own" "$work/b.csv" --toggle-collect='worker_main*'
workers=$(callgrind_children "$work/cg/own")
[ -n "$workers" ] || { echo "check_profile: no rule worker to profile" >&2; exit 1; }
load=$(load1)
{
    echo "what bounds check at scale (tests/bench/check_profile.sh)"
    echo "$header"
    echo "binary: ${ASSURE:-build/assure} ($(build_of "$assure"))"
    echo "$rows rows of gen_standard_actions.awk; $((${#flagrules[@]} / 2)) rules (SAME SQL's);" \
        "check --jobs 1 --format csv: $findings findings; load after $load$(load_note "$load")"
    tests/bench/cgsum.py --top 8 "sqlite3 CLI=$work/cg/cli" "parent=$work/cg/all.$parent" \
        "rule workers=$workers" >"$work/sum"
    cat "$work/sum"
    awk -v f="$findings" '/^all / { n = NF; printf "per finding: sqlite3 CLI %.0f, parent %.0f, rule workers %.0f instructions; assure / CLI %.2fx\n",
        $(n-2) * 1e6 / f, $(n-1) * 1e6 / f, $n * 1e6 / f, ($(n-1) + $n) / $(n-2) }' "$work/sum"
} | tee "$results"
