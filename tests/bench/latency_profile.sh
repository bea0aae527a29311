#!/usr/bin/env bash
# What bounds the interactive commands (issue 15): for each command that
# latency_bench.sh times on the Met example -- check (verified and touched
# database), test --rules rules, validate --rules rules -- where its time
# goes, split between assure itself (the parent) and the processes it forks
# (one rule worker per rule, and the integrity check's process):
#
#   - wall time (the median of RUNS runs, default 5; GNU time's own start,
#     about a millisecond, included), user and system time
#     (GNU time, their mean: it counts in 10 ms steps) and minor page faults
#     (the median), every process of the command included;
#     the system time is the kernel's share (fork, page faults, exit, pipes),
#     which no user-space profile sees;
#   - instructions by library (SQLite, Lua, libc, the dynamic linker, assure's
#     own code...) and the functions that cost the most: callgrind, counted
#     (so a busy machine does not skew them), once for the parent and once
#     for the forked processes' own work (collected from worker_main and
#     the integrity check's check_now -- with a * after each, as link-time
#     optimisation may suffix their names -- so what a child inherits from
#     its parent at fork is not counted twice). tests/bench/cgsum.py adds them up.
#
#   tests/bench/latency_profile.sh                 every command
#   PROFILE="check validate" tests/bench/latency_profile.sh
#
# Writes out/latency-profile.txt as well as printing it (docs/performance.md
# shows it under "Other benchmark output" when regenerated). Needs valgrind
# and GNU time (/usr/bin/time). Takes a few minutes: test runs 145 cases
# under callgrind twice.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME's decimal point, for awk
cd "$(dirname "$0")/../.."
. tests/bench/benchlib.sh
runs=${RUNS:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "latency_profile: RUNS=$runs is not a number of runs" >&2; exit 64; }
assure=$PWD/${ASSURE:-build/assure}
map=mappings/met-2021-22/map.yaml
data=fixtures/met-2021-22
as_of=2022-10-03
profile=${PROFILE:-"check check-touched test validate"}
results=out/latency-profile.txt
command -v valgrind >/dev/null || { echo "latency_profile: needs valgrind" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "latency_profile: needs GNU time (/usr/bin/time)" >&2; exit 1; }
[ -x "$assure" ] || { echo "latency_profile: no $assure (build first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p out

files=()
for f in "$data"/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
"$assure" import --map "$map" --db "$work/ex.db" --as-of "$as_of" "${files[@]}" >/dev/null
# the first check verifies the database; later ones skip the integrity check
"$assure" check --map "$map" --db "$work/ex.db" --rules rules --as-of "$as_of" >/dev/null || [ $? -le 1 ]
cp "$work/ex.db" "$work/touched.db"

argv_of() { # what -> argv: the command's arguments after the binary
    case $1 in
    check) argv=(check --map "$map" --db "$work/ex.db" --rules rules --as-of "$as_of") ;;
    check-touched) argv=(check --map "$map" --db "$work/touched.db" --rules rules --as-of "$as_of") ;;
    test) argv=(test --rules rules) ;;
    validate) argv=(validate --map "$map" --rules rules) ;;
    *) echo "latency_profile: no command '$1' (check, check-touched, test, validate)" >&2; return 1 ;;
    esac
}
# the command under callgrind (check-touched's database touched first)
profiled() { # out-file-prefix [valgrind option...]
    local prefix=$1
    shift
    [ "$what" != check-touched ] || touch "$work/touched.db"
    callgrind_of "$prefix" "$@" -- "$assure" "${argv[@]}"
}
label() {
    case $1 in
    check) echo "check of the example (verified db: the integrity check skipped)" ;;
    check-touched) echo "check of the example (touched db: the integrity check runs)" ;;
    test) echo "test --rules rules" ;;
    validate) echo "validate --map --rules rules" ;;
    esac
}
for what in $profile; do argv_of "$what" || exit 64; done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

header=$(bench_header "tests/bench/latency_profile.sh" PROFILE RUNS ASSURE)
{
    echo "what bounds the interactive commands (tests/bench/latency_profile.sh)"
    echo "$header"
    echo "binary: ${ASSURE:-build/assure} ($(build_of "$assure"))"
    for what in $profile; do
        argv_of "$what"
        : >"$work/times"
        : >"$work/walls"
        for _ in $(seq 1 "$runs"); do
            [ "$what" != check-touched ] || touch "$work/touched.db"
            t0=$EPOCHREALTIME
            rc=0
            /usr/bin/time -a -o "$work/times" -f '%U %S %R' "$assure" "${argv[@]}" >/dev/null 2>&1 || rc=$?
            t1=$EPOCHREALTIME
            echo "$t0 $t1" >>"$work/walls"
            [ "$rc" -le 1 ] || { echo "latency_profile: $what exited $rc" >&2; exit 1; }
        done
        # (GNU time adds a line of its own when the command exits non-zero;
        # its times are in 10 ms steps, so they are averaged, not a median)
        grep '^[0-9]' "$work/times" >"$work/t" || true
        [ "$(wc -l <"$work/t")" = "$runs" ] || { echo "latency_profile: GNU time wrote no figures for $what" >&2; exit 1; }
        wall=$(awk '{ print ($2 - $1) * 1000 }' "$work/walls" | median)
        user=$(awk '{ n += $1 } END { print n * 1000 / NR }' "$work/t")
        sys=$(awk '{ n += $2 } END { print n * 1000 / NR }' "$work/t")
        faults=$(awk '{ print $3 }' "$work/t" | median)
        load=$(load1)

        # the parent: every instruction it runs; the children: their own
        rm -rf "$work/cg" && mkdir "$work/cg"
        profiled "$work/cg/all"
        parent=$cg_pid
        profiled "$work/cg/own" --toggle-collect='worker_main*' --toggle-collect='check_now*'
        children=$(callgrind_children "$work/cg/own")
        n=$(find "$work/cg" -name 'all.*' | wc -l)
        [ -n "$children" ] || { echo "latency_profile: $what forked no process to profile" >&2; exit 1; }

        echo
        echo "== $(label "$what"): assure ${argv[0]}"
        printf '%d processes (assure and %d it forked); wall %.1f ms, user %.0f ms, system %.0f ms, %s minor faults (%d runs); load %s%s\n' \
            "$n" "$((n - 1))" "$wall" "$user" "$sys" "$faults" "$runs" "$load" "$(load_note "$load")"
        tests/bench/cgsum.py --top 6 "parent=$work/cg/all.$parent" ${children:+"children=$children"}
    done
} | tee "$results"
