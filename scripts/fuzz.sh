#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c, clang with
# -fsanitize=fuzzer,address,undefined, assure_core instrumented alike) into
# build-fuzz/ and runs each for SECONDS (default 20). Fails on any crash,
# leak, timeout (an input taking over 10 s) or out-of-memory (2 GB); the
# input that did it is left in build-fuzz/crashes/TARGET/.
#
#   scripts/fuzz.sh [SECONDS]          every target, one after another
#   FUZZ_TARGETS="csv json" scripts/fuzz.sh 600
#   FUZZ_JOBS=2 scripts/fuzz.sh 3600   two targets at once (2 cores)
#   FUZZ_CPU=1 nice scripts/fuzz.sh 3600
#                                      each target until it has had 3600 s
#                                      of CPU (on a shared machine, wall time
#                                      overstates the fuzzing a niced run did)
#
# Each target's corpus grows in build-fuzz/corpus/TARGET/ (kept between
# runs), seeded from tests/fuzz/corpus/TARGET/ (committed) and from the
# fixtures (maps, CSV, JSON and rule test files, copied here each run).
# Before fuzzing, every input in tests/fuzz/regressions/TARGET/ (each once
# crashed a target) is run again. docs/testing.md says how to turn a crash
# into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=build-fuzz
all=$(sed -n 's/^set(ASSURE_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/targets.cmake)
targets=${FUZZ_TARGETS:-$all}
jobs=${FUZZ_JOBS:-1}
by_cpu=${FUZZ_CPU:-0}
tick=$(getconf CLK_TCK)

scripts/setup.sh
cmake -S . -B "$out" -DCMAKE_C_COMPILER=clang -DASSURE_FUZZ=ON -DASSURE_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2046
cmake --build "$out" -j 2 --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done) >/dev/null

# seeds from the fixtures, by content (the same file twice is one seed)
seed() { # target file...
    local t=$1
    shift
    mkdir -p "$out/corpus/$t"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$out/corpus/$t/$(sha1sum "$f" | cut -c1-40)"
    done
    return 0
}
seed map fixtures/test/maps/*.yaml fixtures/test/*.yaml fixtures/test/nightly/*.yaml \
    fixtures/bench/*.yaml mappings/*/*.yaml
seed ruletest rules/*.test.yaml fixtures/test/rules/*.test.yaml
seed json fixtures/test/*.json fixtures/test/data/*.json
seed xlsx fixtures/test/xlsx/*.xlsx
# CSV: the first two bytes of an input pick the field size limit and the read
# size (tests/fuzz/fuzz_csv.c): the defaults, and reads of 7 bytes
mkdir -p "$out/corpus/csv"
for f in fixtures/test/*.csv fixtures/test/data/*.csv fixtures/met-2021-22/*.csv \
    fixtures/test/nightly/*.csv; do
    h=$(sha1sum "$f" | cut -c1-40)
    { printf '\200\000'; cat "$f"; } >"$out/corpus/csv/$h"
    { printf '\200\007'; cat "$f"; } >"$out/corpus/csv/$h-7"
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

run_target() {
    local t=$1 log=$out/logs/$1.log
    mkdir -p "$out/corpus/$t" "$out/crashes/$t" "$out/logs"
    # the regressions first: each must pass as it is
    local regs=(tests/fuzz/regressions/"$t"/*)
    if [ -e "${regs[0]}" ]; then
        "$out/fuzz_$t" "${regs[@]}" >"$log.regress" 2>&1 ||
            { echo "fuzz: $t fails a regression input:" >&2; tail -30 "$log.regress" >&2; return 1; }
    fi
    local rc=0 dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    # With FUZZ_CPU=1, SECONDS is CPU time: the target runs with no wall-clock
    # limit and is asked to stop (SIGUSR1: libFuzzer finishes the input, checks
    # for leaks and prints its final stats) once it has used that much CPU.
    local limit=$seconds
    [ "$by_cpu" = 1 ] && limit=0
    "$out/fuzz_$t" -max_total_time="$limit" -timeout=10 -rss_limit_mb=2048 \
        -handle_usr1=1 -print_final_stats=1 -artifact_prefix="$out/crashes/$t/" \
        "${dict[@]}" "$out/corpus/$t" tests/fuzz/corpus/"$t" >"$log" 2>&1 &
    local pid=$! ticks=0 stat
    while kill -0 "$pid" 2>/dev/null; do
        # utime + stime, fields 14 and 15 of /proc/PID/stat (after the ")")
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
        stat=${stat##*) }
        read -r _ _ _ _ _ _ _ _ _ _ _ ut st _ <<<"$stat"
        ticks=$((ut + st))
        if [ "$by_cpu" = 1 ] && [ "$ticks" -ge $((seconds * tick)) ]; then
            kill -USR1 "$pid" 2>/dev/null || true
            break
        fi
        sleep 2
    done
    wait "$pid" || rc=$?
    # libFuzzer's last status line: cov (edges), ft (features), corp (units/size)
    local execs last
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    printf 'fuzz: %-9s %6ss CPU %11s runs  cov %5s  ft %6s  corpus %-13s %s\n' "$t" \
        "$((ticks / tick))" "${execs:-?}" "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")" \
        "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")" \
        "$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")" \
        "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)"
    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $t failed ($rc); the input is in $out/crashes/$t/:" >&2
        grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -20 >&2
        return 1
    fi
}

status=0
if [ "$jobs" -gt 1 ]; then
    pids=()
    for t in $targets; do
        run_target "$t" &
        pids+=($!)
        if [ ${#pids[@]} -ge "$jobs" ]; then
            wait "${pids[0]}" || status=1
            pids=("${pids[@]:1}")
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || status=1; done
else
    for t in $targets; do run_target "$t" || status=1; done
fi
exit "$status"
