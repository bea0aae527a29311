#!/usr/bin/env bash
# Memory benchmark: peak memory of `assure check` in every format and of
# `assure run` (recording the history), over synthetic audit actions where
# the standard rules fire on most rows, as the number of rows grows. The
# target (issue 15): peak memory independent of the number of findings.
#
#   tests/bench/memory_bench.sh                 100k, 1M and 3M rows
#   BENCH_SIZES="100000" tests/bench/memory_bench.sh
#   BENCH_BIG=1 tests/bench/memory_bench.sh     also 10M rows (takes many minutes)
#   BENCH_SIZES=10000000 BENCH_FORMATS=run tests/bench/memory_bench.sh
#                                 some formats only (text csv json jsonl junit
#                                 xlsx run), to out/memory-bench-FORMATS.txt
#   ASSURE=/path/to/other/assure tests/bench/memory_bench.sh   (before/after)
#
# For each run, from tests/bench/memsample.py:
#   peak MB    GNU time's %M: the peak RSS of the largest single process
#   parent     the peak RSS of assure itself (the parent)
#   worker     the peak RSS of the largest rule worker
#   sum RSS    parent + workers at one moment (pages shared between them,
#              such as the parent's heap a worker inherits, counted twice)
#   sum PSS    the same with shared pages divided among the processes that
#              map them (/proc/PID/smaps_rollup): the memory the run takes
# and the 1-minute load average when it ended, with a WARNING above 1.
# Writes the table to out/memory-bench.txt as well as printing it.
# Needs assure, sqlite3, GNU time (/usr/bin/time) and /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
sizes=${BENCH_SIZES:-"100000 1000000 3000000"}
[ -n "${BENCH_BIG:-}" ] && sizes="$sizes 10000000"
formats=${BENCH_FORMATS:-"text csv json jsonl junit xlsx run"}
assure=$(realpath "${ASSURE:-build/assure}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out
# a run of some formats only does not replace the whole table
results=out/memory-bench${BENCH_FORMATS:+-$(echo "$BENCH_FORMATS" | tr ' ' '-')}.txt
map=fixtures/bench/map.yaml
as_of=2022-10-03
budget=(--max-findings 100000000 --timeout 3600 --jobs 2)

load() { load1; }
warn() { load_note "$1"; }

# measure ROWS WHAT command...: one line of the table
measure() {
    local rows=$1 what=$2
    shift 2
    local start secs l
    start=$(date +%s.%N)
    tests/bench/memsample.py "$work/m" -- "$@"
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    l=$(load)
    read -r tkib rss pss parent worker rc <"$work/m"
    local note=""
    [ "$rc" -le 1 ] || note="  (exit $rc)"
    awk -v n="$rows" -v w="$what" -v s="$secs" -v t="$tkib" -v p="$parent" -v k="$worker" \
        -v r="$rss" -v q="$pss" -v l="$l" -v note="$note" -v warn="$(warn "$l")" 'BEGIN {
        printf "%10d %-7s %6.1f %9.1f %9.1f %9.1f %9.1f %9.1f %6s%s%s\n", n, w, s, t/1024, p/1024,
            k/1024, r/1024, q/1024, l, note, warn }'
}

{
echo "assure memory benchmark (tests/bench/memory_bench.sh)"
bench_header "tests/bench/memory_bench.sh" BENCH_SIZES BENCH_BIG BENCH_FORMATS ASSURE
echo "${ASSURE:-build/assure}, version $("$assure" --version 2>/dev/null | head -1); $(build_of "$assure")"
echo "standard rules over synthetic audit actions (tests/bench/gen_standard_actions.awk), as of $as_of,"
echo "--jobs 2; memory in MB, sampled every 20 ms; load: 1-minute load average after the run"
echo
printf "%10s %-7s %6s %9s %9s %9s %9s %9s %6s\n" rows format "secs" "peak MB" parent worker \
    "sum RSS" "sum PSS" load
for n in $sizes; do
    awk -v rows="$n" -f tests/bench/gen_standard_actions.awk >"$work/actions.csv"
    rm -f "$work"/db*
    "$assure" import --quiet --map "$map" --db "$work/db" --as-of "$as_of" \
        audit_actions="$work/actions.csv"
    rm -f "$work/actions.csv"
    for f in $formats; do
        [ "$f" != run ] || continue
        measure "$n" "$f" "$assure" check --map "$map" --db "$work/db" --rules rules \
            --as-of "$as_of" "${budget[@]}" --format "$f" --output "$work/list.$f"
        rm -f "$work/list.$f"
    done
    # the nightly run: the history recorded (every finding new), a CSV list
    case " $formats " in *" run "*) ;; *) continue ;; esac
    measure "$n" run "$assure" run --quiet --map "$map" --db "$work/db" --rules rules \
        --as-of "$as_of" "${budget[@]}" --output "csv:$work/run.csv"
    rm -f "$work/run.csv"
    sqlite3 "$work/db" "SELECT printf('%10s %d findings, %d of them the busiest rule''s', '', \
        (SELECT findings FROM assure_runs ORDER BY id DESC LIMIT 1), max(findings)) \
        FROM assure_run_rules WHERE run = (SELECT max(id) FROM assure_runs)"
done
echo
case " $formats " in *" xlsx "*) ;; *) exit 0 ;; esac
echo "  xlsx past 1,048,575 findings: exit 74, more than an Excel sheet holds (measured up to the failure)"
} | tee "$results"
