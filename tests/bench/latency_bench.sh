#!/usr/bin/env bash
# Interactive latency (issue 15): how long the commands people wait for take
# at the size users have -- the Met example (mappings/met-2021-22, 14 exports,
# the standard rules) -- against the start of a bare process in the same run.
#
#   tests/bench/latency_bench.sh                  build/assure, 15 rounds
#   ROUNDS=31 tests/bench/latency_bench.sh
#   OLD=/path/to/older/assure tests/bench/latency_bench.sh   before and after
#   OLD=... OLD_ROOT=/path/to/its/tree ...   the old binary on its own map and
#                                             rules (when the map format moved on)
#
# Every round runs each command once, interleaved (floor, commands, the old
# binary's commands), so a busy moment of the machine hits all of them alike;
# each figure is the median of its rounds, in ms and as a ratio to the floor
# (sqlite3 :memory: 'select 1'; a bare `assure --version` is the second
# floor), with the CPU time (user + system, every process of the command:
# bash's `times`, 10 ms ticks) -- less disturbed by a busy machine than wall
# time. Beside every figure: the 1-minute load average (/proc/loadavg) over
# its rounds, median/max; under the table, the cores other processes kept
# busy over the rounds (benchlib's others_cores) and a WARNING when that is
# above a quarter of a core -- the machine was busy and the figures are
# slower than they would be on a quiet one.
#
# check runs twice a round: on a database verified by an earlier check (the
# integrity check is skipped, as it is for the second and later checks a
# person runs) and on one touched since (its modification time changed: the
# quick_check of every page runs again). An older assure always runs it.
# Writes the table to out/latency-bench.txt as well as printing it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
rounds=${ROUNDS:-15}
new=$PWD/${ASSURE:-build/assure}
old=${OLD:-}
map=mappings/met-2021-22/map.yaml
data=fixtures/met-2021-22
as_of=2022-10-03
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out
results=out/latency-bench.txt
command -v sqlite3 >/dev/null || { echo "latency_bench: needs sqlite3" >&2; exit 1; }
[ -x "$new" ] || { echo "latency_bench: no $new (build first)" >&2; exit 1; }

# Each binary checks a database it imported itself, from its own tree's map,
# data and rules (OLD_ROOT for the old one; default this tree).
bins=(new)
declare -A bin=([new]=$new) root=([new]=$PWD)
if [ -n "$old" ]; then
    [ -x "$old" ] || { echo "latency_bench: OLD=$old is not executable" >&2; exit 1; }
    bins+=(old)
    bin[old]=$old
    root[old]=${OLD_ROOT:-$PWD}
fi
declare -A cases
for b in "${bins[@]}"; do
    files=()
    for f in "${root[$b]}/$data"/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
    "${bin[$b]}" import --map "${root[$b]}/$map" --db "$work/$b.db" --as-of "$as_of" "${files[@]}" >/dev/null
    "${bin[$b]}" check --map "${root[$b]}/$map" --db "$work/$b.db" --rules "${root[$b]}/rules" \
        --as-of "$as_of" >/dev/null || [ $? -le 1 ]
    cp "$work/$b.db" "$work/$b-touched.db"
    # the test cases of its rule library (for ms a case)
    cases[$b]=$("${bin[$b]}" test --rules "${root[$b]}/rules" 2>/dev/null | sed -n 's/^\([0-9]*\) passed.*/\1/p')
done

declare -A samples loads cpus
# CPU time (user + system) of every child so far, in ms: bash's `times`.
child_cpu() { # FILE: what `times` wrote there
    sed -n 2p "$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); n += p[1] * 60 + p[2] } printf "%.3f", n * 1000 }'
}
ms_of() { # start end (EPOCHREALTIME values) -> ms
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'
}
timed() { # key command...
    local key=$1 t0 t1 c0 c1
    shift
    # the builtin runs in this shell (not a subshell), and nothing else
    # runs between the two readings
    times >"$work/c0"
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || true
    t1=$EPOCHREALTIME
    times >"$work/c1"
    c0=$(child_cpu "$work/c0")
    c1=$(child_cpu "$work/c1")
    samples[$key]+="$(ms_of "$t0" "$t1") "
    cpus[$key]+="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", b - a }') "
    loads[$key]+="$(cut -d' ' -f1 /proc/loadavg) "
}

header=$(bench_header "tests/bench/latency_bench.sh" ROUNDS OLD OLD_ROOT ASSURE)
for _ in $(seq 1 "$rounds"); do
    timed "floor:sqlite3" sqlite3 :memory: 'select 1'
    for b in "${bins[@]}"; do
        x=${bin[$b]}
        m=${root[$b]}/$map
        rl=${root[$b]}/rules
        timed "$b:version" "$x" --version
        timed "$b:check" "$x" check --map "$m" --db "$work/$b.db" --rules "$rl" --as-of "$as_of"
        touch "$work/$b-touched.db"
        timed "$b:check-touched" "$x" check --map "$m" --db "$work/$b-touched.db" --rules "$rl" \
            --as-of "$as_of"
        timed "$b:test" "$x" test --rules "$rl"
        timed "$b:validate" "$x" validate --map "$m" --rules "$rl"
    done
done
others=$(others_cores)

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' | grep . | sort -g | tail -1; }

floor=$(echo "${samples[floor:sqlite3]}" | median)
label() {
    case $1 in
    floor:sqlite3) echo "floor: sqlite3 :memory: 'select 1'" ;;
    *:version) echo "floor 2: assure --version" ;;
    *:check) echo "check of the example (verified db)" ;;
    *:check-touched) echo "check of the example (touched db)" ;;
    *:test) echo "test --rules rules (${cases[${1%%:*}]} cases)" ;;
    *:validate) echo "validate --rules rules" ;;
    esac
}
warn=0
{
    echo "interactive latency (tests/bench/latency_bench.sh): $rounds interleaved rounds, medians"
    echo "$header"
    echo "new: ${ASSURE:-build/assure} ($(build_of "$new"))${old:+; old: $old ($(build_of "$old"))}"
    printf '%-40s %-4s %10s %9s %9s  %s\n' "what" "bin" "ms" "x floor" "cpu ms" "load 1-min (median/max)"
    keys=("floor:sqlite3")
    for what in version check check-touched test validate; do
        for b in "${bins[@]}"; do keys+=("$b:$what"); done
    done
    for k in "${keys[@]}"; do
        m=$(echo "${samples[$k]}" | median)
        lm=$(echo "${loads[$k]}" | median)
        lx=$(echo "${loads[$k]}" | maxof)
        b=${k%%:*}
        [ "$b" = floor ] && b=-
        extra=""
        n=${cases[${k%%:*}]:-}
        if [ "${k#*:}" = test ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
            extra=$(awk -v m="$m" -v n="$n" 'BEGIN { printf "  (%.2f ms a case)", m / n }')
        fi
        c=$(echo "${cpus[$k]}" | median)
        printf '%-40s %-4s %10.1f %9.1f %9.0f  %s/%s%s\n' "$(label "$k")" "$b" "$m" \
            "$(awk -v m="$m" -v f="$floor" 'BEGIN { print m / f }')" "$c" "$lm" "$lx" "$extra"
        awk -v l="$lx" 'BEGIN { exit !(l > 1) }' && warn=1
    done
    echo "other processes kept $others cores busy over these rounds (the load counts this benchmark's own)"
    if busy_cores "$others"; then
        echo "WARNING: other processes kept $others cores busy during these rounds: the machine was busy, and the figures are slower than a quiet machine's"
    elif [ "$others" = "?" ] && [ "$warn" = 1 ]; then
        echo "WARNING: the 1-minute load average went above 1 during these rounds: the machine was busy, and the figures are slower than a quiet machine's"
    fi
} | tee "$results"
