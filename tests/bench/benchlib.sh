# shellcheck shell=bash
# Shared by the benchmarks that write out/*.txt (sourced, not run): the lines
# that say when, how and where a figure was measured, and the load beside
# it. tests/bench/perfdoc.py copies these files into docs/performance.md.
#
#   bench_header "tests/bench/bench.sh" BENCH_SIZES RUNS   (the command and
#                                       the variables it was given)
#   load1            the 1-minute load average now
#   load_note LOAD   "  WARNING: load L > 1" when it is above 1, else nothing
#   build_of BIN     how BIN was built, from the CMakeCache.txt beside it

load1() { cut -d' ' -f1 /proc/loadavg; }

load_note() { awk -v l="$1" 'BEGIN { if (l > 1) printf "  WARNING: load %s > 1", l }'; }

build_of() {
    local cache
    cache=$(dirname "$1")/CMakeCache.txt
    [ -f "$cache" ] || { echo "build type unknown"; return; }
    sed -n 's/^CMAKE_BUILD_TYPE:STRING=\(.*\)/\1 build/p; s/^ASSURE_SANITIZE:BOOL=ON$/, SANITIZERS ON: not a speed figure/p' \
        "$cache" | tr -d '\n'
    echo
}

# bench_header COMMAND [VAR...]: the date, the command with the variables
# that were set, the machine, the load when it started.
bench_header() {
    local cmd=$1 v env=""
    shift
    for v in "$@"; do
        [ -n "${!v:-}" ] && env+="$v=\"${!v}\" "
    done
    local os cpu
    os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release 2>/dev/null)
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
    echo "measured: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "command: $env$cmd"
    echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(uname -m), ${os:-unknown OS}," \
        "SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
    echo "load at start (1-minute average): $(load1)$(load_note "$(load1)")"
}
