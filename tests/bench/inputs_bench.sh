#!/usr/bin/env bash
# Input-size benchmark: does the cost of reading each kind of input grow
# linearly with its size? For every kind it generates a 1 MB input and one at
# the kind's size cap (or what this machine can hold), runs the command a user
# would, and prints the CPU time per MB at each size and their ratio:
# 1.00 means linear; a quadratic reader would show the ratio of the sizes.
#
#   tests/bench/inputs_bench.sh            every kind
#   KINDS="csv json-line" tests/bench/inputs_bench.sh
#   RUNS=5 tests/bench/inputs_bench.sh     median of 5 runs (default 3; the
#                                          largest size runs once)
#
# Prints the table and writes it to out/inputs-bench.txt (docs/performance.md
# shows it under "Other benchmark output" when regenerated).
#
# Kinds: maps (many areas; one key repeated), CSV (rows; one record of
# commas; one huge quoted field), JSON (one line; one object per line), rule
# test files (many rows; many expected findings). Sizes: maps and test files
# 1 MB and 8 MiB (their cap); JSON 1 MB and 64 MB (its cap, 1 GiB, is read
# whole into memory and would take several GB with the database:
# JSON_BIG=BYTES changes it); CSV 1 MB and 256 MB (its cap is 4 GiB:
# CSV_BIG=BYTES changes it). Per MB is net of the time of a tiny input of the
# same kind (process start, database creation, the rule workers), so the
# ratio compares the work that grows with the input.
#
# The load average (1 minute, from uptime) is printed beside every figure,
# and the cores other processes kept busy meanwhile (benchlib.sh's
# others_cores, with a WARNING above a quarter of a core): other work on
# the machine inflates wall time more than CPU time, so the ratio is
# computed on CPU time (user + system).
# Needs build/assure (scripts/build.sh), python3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
assure=$root/${ASSURE:-build/assure}
runs=${RUNS:-3}
kinds=${KINDS:-"map-areas map-dupkeys csv csv-commas csv-field json-line json-lines test test-expects"}
json_big=${JSON_BIG:-$((64 << 20))}
csv_big=${CSV_BIG:-$((256 << 20))}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
map=$root/fixtures/test/map.yaml

[ -x "$assure" ] || { echo "inputs_bench: build assure first (scripts/build.sh)" >&2; exit 1; }

. tests/bench/benchlib.sh
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

big_size() {
    case $1 in
    csv*) echo "$csv_big" ;;
    json-*) echo "$json_big" ;;
    *) echo $((8 << 20)) ;; # the 8 MiB YAML cap (the generator stays under it)
    esac
}

# The file name the command wants for each kind.
input_path() {
    case $1 in
    csv*) echo "$work/in/actions.csv" ;;
    json-*) echo "$work/in/engagements.json" ;;
    test*) echo "$work/in/rules/bench.test.yaml" ;;
    *) echo "$work/in/map.yaml" ;;
    esac
}

# Runs the command for kind on its input REPS times in a row (so that small
# inputs add up to more than the 10 ms CPU clock tick); appends "wall cpu
# rss_kib" per run to $2.
run_once() {
    local kind=$1 out=$2 reps=$3 in
    in=$(input_path "$kind")
    local cmd
    case $kind in
    map-*) cmd=("$assure" validate --map "$in") ;;
    csv*) cmd=("$assure" import -q --as-of 2025-01-01 --map "$map" --db "$work/db" actions="$in") ;;
    json-*) cmd=("$assure" import -q --as-of 2025-01-01 --map "$map" --db "$work/db"
        engagements="$in") ;;
    test*) cmd=("$assure" test --rules "$work/in/rules" --map "$map") ;;
    esac
    local rc=0
    # shellcheck disable=SC2016 # the loop's $1 and $@ are its own
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" bash -c '
        reps=$1 db=$2
        shift 2
        for _ in $(seq "$reps"); do
            rm -f "$db"*
            rc=0
            "$@" || rc=$?
        done
        exit "$rc"' _ "$reps" "$work/db" "${cmd[@]}" >"$work/stdout" 2>"$work/stderr" || rc=$?
    # the duplicate-key map (78), the hostile CSV (65) and the case with
    # findings no row makes (1) are meant to fail
    local expect=0
    case $kind in map-dupkeys) expect=78 ;; csv-*) expect=65 ;; test-expects) expect=1 ;; esac
    if [ "$rc" -ne "$expect" ]; then
        { echo "inputs_bench: $kind exited with $rc, not $expect:"; tail -5 "$work/stderr"; } \
            >"$work/failed"
        return 1
    fi
    # (GNU time writes "Command exited with non-zero status" first)
    tail -1 "$work/t" | awk -v n="$reps" '{printf "%.4f %.4f %s\n", $1 / n, ($2 + $3) / n, $4}' >>"$out"
}

# measure KIND BYTES N REPS: generates the input, runs N times (each REPS in a
# row); prints "bytes wall cpu rss_kib load" (medians per run; the load
# before the first)
measure() {
    local kind=$1 bytes=$2 n=$3 reps=$4 in
    in=$(input_path "$kind")
    rm -rf "$work/in"
    mkdir -p "$work/in/rules"
    cp fixtures/test/rules/high-actions.lua "$work/in/rules/"
    python3 tests/bench/gen_inputs.py "$kind" "$bytes" "$in"
    local load
    load=$(load1)
    : >"$work/runs"
    for _ in $(seq "$n"); do run_once "$kind" "$work/runs" "$reps" || return 1; done
    echo "$(stat -c %s "$in") $(cut -d' ' -f1 "$work/runs" | median)" \
        "$(cut -d' ' -f2 "$work/runs" | median) $(cut -d' ' -f3 "$work/runs" | median) $load"
    rm -rf "$work/in" "$work"/db*
}

describe() {
    case $1 in
    map-areas) echo "map, many areas (assure validate)" ;;
    map-dupkeys) echo "map, one key repeated (assure validate: every copy an error)" ;;
    csv) echo "CSV actions (assure import)" ;;
    csv-commas) echo "CSV, one record of commas: millions of fields (assure import: rejected)" ;;
    csv-field) echo "CSV, one quoted field as big as the file (assure import: rejected)" ;;
    json-line) echo "JSON, all objects on one line (assure import)" ;;
    json-lines) echo "JSON, one object per line (assure import)" ;;
    test) echo "rule test file, one case of many rows (assure test)" ;;
    test-expects) echo "rule test file, one case of 9000 findings and many more expected (assure test)" ;;
    esac
}

mkdir -p out
{
echo "assure input benchmark (tests/bench/inputs_bench.sh)"
bench_header "tests/bench/inputs_bench.sh" KINDS RUNS JSON_BIG CSV_BIG ASSURE
echo "${ASSURE:-build/assure}, $(build_of "$assure")"
echo "median of $runs runs (each the mean of 10 in a row) at the tiny and 1 MB sizes, one run at the largest"
echo "CPU s/MB is net of the tiny input's time; ratio = largest / 1 MB (1.00 = linear)"
echo
printf "%-10s %10s %9s %9s %9s %11s %6s %7s\n" kind "size MB" "wall s" "CPU s" "RSS MB" "CPU s/MB" load others
high_load=0
for kind in $kinds; do
    echo "# $(describe "$kind")"
    read -r _ _ tiny_cpu _ _ <<<"$(measure "$kind" 2000 "$runs" 10)"
    [ ! -e "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }
    per_mb=()
    for bytes in 1000000 "$(big_size "$kind")"; do
        n=$runs reps=10
        [ "$bytes" -eq 1000000 ] || n=1 reps=1
        read -r size wall cpu rss load <<<"$(measure "$kind" "$bytes" "$n" "$reps")"
        [ ! -e "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }
        others=$(others_cores)
        note=""
        busy_cores "$others" && high_load=1 note="  WARNING: other processes kept $others cores busy"
        pm=$(awk -v c="$cpu" -v t="$tiny_cpu" -v s="$size" 'BEGIN {
            net = c - t; if (net < 0) net = 0; printf "%.4f", net / (s / 1e6) }')
        per_mb+=("$pm")
        awk -v k="$kind" -v s="$size" -v w="$wall" -v c="$cpu" -v r="$rss" -v pm="$pm" \
            -v l="$load" -v o="$others" -v note="$note" 'BEGIN {
            printf "%-10s %10.1f %9.3f %9.3f %9.1f %11.4f %6.2f %7s%s\n", k, s / 1e6, w, c, r / 1024,
                pm, l, o, note }'
    done
    awk -v a="${per_mb[0]}" -v b="${per_mb[1]}" 'BEGIN {
        if (a > 0) printf "%-10s ratio of CPU s/MB, largest / 1 MB: %.2f\n", "", b / a
        else printf "%-10s ratio: the 1 MB input took no measurable time beyond the tiny one\n", "" }'
done
echo
echo "end: $(uptime)"
if [ "$high_load" -eq 1 ]; then
    echo "WARNING: other processes kept more than a quarter of a core busy during some runs:" \
        "they shared the cores, so wall times (and, less so, CPU times) are inflated"
fi
} | tee out/inputs-bench.txt
