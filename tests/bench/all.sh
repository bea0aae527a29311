#!/usr/bin/env bash
# Runs the benchmarks that docs/performance.md reports -- bench.sh (import,
# growth against DuckDB and pandas, ratios), latency_bench.sh and
# memory_bench.sh -- and regenerates docs/performance.md from their output
# (tests/bench/perfdoc.py). The figures a closing note quotes come from one
# run of this on a quiet machine.
#
#   tests/bench/all.sh                     default sizes (tens of minutes)
#   BENCH_BIG=1 tests/bench/all.sh         and 10M rows
#   BENCH_SIZES="10000 100000" RUNS=1 ROUNDS=3 BENCH_FORCE=1 tests/bench/all.sh
#                                          a smoke run of a few minutes
#   PERFDOC_NOTE="..." tests/bench/all.sh  a note at the head of every section
#
# Refuses to start when other processes keep more than a quarter of a core
# busy over its first 10 seconds (another build, test suite or benchmark is
# running: the figures would be slower and the ratios skewed; benchlib.sh
# says how that is told apart from the benchmark's own load);
# BENCH_FORCE=1 runs anyway, warning loudly. BENCH_SIZES and
# BENCH_BIG are passed to bench.sh and memory_bench.sh, RUNS to bench.sh,
# ROUNDS to latency_bench.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
# what other processes do over 10 seconds says whether the machine is quiet
sleep 10
o=$(others_cores)
l="$(load1), other processes keeping $o cores busy"
if [ "$o" = "?" ] || busy_cores "$o"; then
    if [ -z "${BENCH_FORCE:-}" ]; then
        echo "all.sh: the 1-minute load average is $l: the machine is busy, and its" >&2
        echo "figures would be neither results nor comparable. Wait for a quiet machine, or" >&2
        echo "set BENCH_FORCE=1 to run anyway (every line will carry a WARNING)." >&2
        exit 75
    fi
    {
        echo "################################################################################"
        echo "all.sh: WARNING: the 1-minute load average is $l and BENCH_FORCE is set:"
        echo "these figures are NOT results. Rerun on a quiet machine before quoting any."
        echo "################################################################################"
    } >&2
fi
[ -x "${ASSURE:-build/assure}" ] || { echo "all.sh: no ${ASSURE:-build/assure} (scripts/build.sh first)" >&2; exit 1; }
tests/bench/bench.sh
tests/bench/latency_bench.sh
tests/bench/memory_bench.sh
tests/bench/perfdoc.py --note "${PERFDOC_NOTE:-}"
echo "all.sh: docs/performance.md regenerated from out/bench-results.txt, out/latency-bench.txt," \
    "out/memory-bench.txt" >&2
