# shellcheck shell=bash
# Shared by the benchmarks that write out/*.txt (sourced, not run): the lines
# that say when, how and where a figure was measured, and the load beside
# it. tests/bench/perfdoc.py copies these files into docs/performance.md.
#
#   bench_header "tests/bench/bench.sh" BENCH_SIZES RUNS   (the command and
#                                       the variables it was given)
#   load1            the 1-minute load average now
#   others_cores     the cores other processes kept busy since the last call
#                    (or since benchlib was first sourced), e.g. 0.02
#   busy_cores O     true when that figure says the machine was busy
#   load_note LOAD   "  WARNING: ..." when the machine was not quiet, else
#                    nothing
#   build_of BIN     how BIN was built, from the CMakeCache.txt beside it
#   callgrind_of PREFIX [OPTION...] -- COMMAND...
#                    COMMAND under callgrind, a file a process (PREFIX.PID);
#                    cg_pid is then the command's own process
#   callgrind_children PREFIX
#                    the files of the processes it forked, comma-separated
#
# The load average counts the benchmark's own processes: a figure measured
# with two threads on two cores has a load near 2 on a machine where nothing
# else runs. What says whether the machine was quiet is the CPU time of the
# other processes: every CPU tick the kernel counted (/proc/stat) less the
# ticks of the benchmark's own process group (the live processes' own and
# waited-for children's time, /proc/PID/stat). load_note warns when others
# kept more than a quarter of a core busy, or, when that cannot be told, when
# the load is above 1. A benchmark started from an interactive shell is a
# process group of its own; started from a script among other jobs, run it
# under `setsid -w` so that theirs are not counted as its own.

load1() { cut -d' ' -f1 /proc/loadavg; }

# "BUSY OWN": the machine's busy ticks and the ticks of this process group
_bench_ticks() {
    local pg
    pg=$(cut -d')' -f2- "/proc/$$/stat" | cut -d' ' -f4)
    echo "$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)" \
        "$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v pg="$pg" '{
            s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
            if (f[3] == pg) t += f[12] + f[13] + f[14] + f[15] } END { print t + 0 }')"
}

# The state others_cores starts from ("BUSY OWN SECONDS LAST"): a file per
# process group, made when benchlib is first sourced (all.sh's benchmarks
# share all.sh's). A call within 5 s of the last measured one gives the
# last figure again (a table printed row by row says what held while its
# rows were measured), and one within 1 s of the start gives "?".
if [ -z "${BENCH_QUIET_FILE:-}" ]; then
    BENCH_QUIET_FILE=$(mktemp "${TMPDIR:-/tmp}/assure-bench-quiet.XXXXXX")
    export BENCH_QUIET_FILE
    echo "$(_bench_ticks) $EPOCHREALTIME ?" >"$BENCH_QUIET_FILE"
fi

others_cores() {
    local now next
    now="$(_bench_ticks) $EPOCHREALTIME"
    next=$(awk -v hz="$(getconf CLK_TCK)" -v now="$now" '{
        split(now, b, " ")
        secs = b[3] - $3
        if (secs < 1 || (secs < 5 && $4 != "?")) { print $0; exit }
        c = ((b[1] - $1) - (b[2] - $2)) / hz / secs
        printf "%s %.2f\n", now, c < 0 ? 0 : c }' "$BENCH_QUIET_FILE" 2>/dev/null)
    [ -n "$next" ] || next="$now ?"
    echo "$next" >"$BENCH_QUIET_FILE"
    echo "${next##* }"
}

# busy_cores OTHERS: true when others_cores' figure says the machine was busy
busy_cores() { awk -v o="$1" 'BEGIN { exit !(o != "?" && o > 0.25) }'; }

load_note() {
    local o
    o=$(others_cores)
    if busy_cores "$o"; then
        printf "  WARNING: other processes kept %s cores busy" "$o"
    elif [ "$o" = "?" ]; then
        awk -v l="$1" 'BEGIN { if (l > 1) printf "  WARNING: load %s > 1", l }'
    fi
}

build_of() {
    local cache type
    cache=$(dirname "$1")/CMakeCache.txt
    [ -f "$cache" ] || { echo "build type unknown"; return; }
    # an empty build type is CMakeLists.txt's default, RelWithDebInfo
    type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$cache")
    echo "${type:-RelWithDebInfo (the default)} build$(grep -q '^ASSURE_SANITIZE:BOOL=ON$' "$cache" &&
        echo ", SANITIZERS ON: not a speed figure")"
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
    echo "quiet: a WARNING beside a figure when other processes kept more than a quarter of a core busy"
}

# callgrind_of PREFIX [VALGRIND_OPTION...] -- COMMAND...: runs COMMAND under
# callgrind, output thrown away, one profile a process (PREFIX.PID, forked
# children included). Run in the background so that $! -- valgrind execs
# the tool in the same process -- is the command's own pid: cg_pid, whose
# file is the parent's. Exit 1 is a check's "findings"; above 1 fails,
# with valgrind's first lines.
callgrind_of() {
    local prefix=$1 opts=() rc=0 err
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    err=$(mktemp)
    valgrind -q --tool=callgrind --callgrind-out-file="$prefix.%p" "${opts[@]}" "$@" \
        >/dev/null 2>"$err" &
    cg_pid=$!
    wait "$cg_pid" || rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "callgrind_of: $1 under callgrind exited $rc: $(head -5 "$err")" >&2
        rm -f "$err"
        return 1
    fi
    rm -f "$err"
}

# callgrind_children PREFIX: the profiles callgrind_of's last command's
# forked processes wrote (every PREFIX.PID but cg_pid's), comma-separated
callgrind_children() {
    find "$(dirname "$1")" -name "$(basename "$1").*" ! -name "$(basename "$1").$cg_pid" |
        sort | paste -sd,
}
