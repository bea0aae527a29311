#!/usr/bin/env bash
# Acceptance on real trackers: for one body in fixtures/real/, import its
# papers as they were published, with its map and no conversion script, run
# the standard rules at each paper's date, and compare the findings (rule and
# subject) with the ones its expected.txt lists -- exactly: a finding missing
# or one too many fails. expected.txt was written from key.yaml, which says
# what the papers themselves call a problem.
#
#   tests/acceptance/acceptance.sh fixtures/real/BODY
#
# expected.txt holds, one per line (a line starting with '#' is a comment):
#   run AS_OF DATASET=FILE...      a fresh database, these files, check at AS_OF
#   RULE<TAB>SUBJECT               a finding that run must give
#   none                           that run must give no finding
# FILE is relative to the body's directory and may be FILE.xlsx#SHEET.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
assure=${ASSURE:-$root/build/assure}
dir=$(cd "$1" && pwd) || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
n=0

finish_run() {
    [ "$n" -gt 0 ] || return 0
    sort -u "$work/want" >"$work/want.s"
    if ! diff -u --label "expected (run $n at $as_of)" --label "found" "$work/want.s" \
        "$work/got" >"$work/diff"; then
        echo "FAIL run $n at $as_of (${files[*]}):" >&2
        grep '^[-+][^-+]' "$work/diff" | sed 's/^-/  missing:    /; s/^+/  unexpected: /' >&2
        status=1
    fi
}

start_run() { # AS_OF DATASET=FILE...
    as_of=$1
    shift
    files=("$@")
    n=$((n + 1))
    : >"$work/want"
    local db=$work/db$n args=() spec
    for spec in "$@"; do args+=("${spec%%=*}=$dir/${spec#*=}"); done
    if ! "$assure" import --quiet --map "$dir/map.yaml" --db "$db" --as-of "$as_of" "${args[@]}" \
        2>"$work/err"; then
        echo "FAIL run $n: the import was refused:" >&2
        cat "$work/err" >&2
        status=1
        : >"$work/got"
        return
    fi
    "$assure" check --map "$dir/map.yaml" --db "$db" --rules "$root/rules" --as-of "$as_of" \
        --format csv -o "$work/found.csv" 2>"$work/err"
    local rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "FAIL run $n: check exited $rc:" >&2
        cat "$work/err" >&2
        status=1
    fi
    sqlite3 :memory: ".import --csv $work/found.csv f" \
        "SELECT rule || char(9) || subject FROM f" | sort -u >"$work/got"
}

while IFS= read -r line || [ -n "$line" ]; do
    line=${line%"${line##*[![:space:]]}"}
    case $line in '' | '#'*) continue ;; esac
    case $line in
    "run "*)
        finish_run
        read -r -a words <<<"${line#run }"
        start_run "${words[@]}"
        ;;
    none) ;;
    *) printf '%s\n' "$line" >>"$work/want" ;;
    esac
done <"$dir/expected.txt"
finish_run
[ "$n" -gt 0 ] || { echo "FAIL: $dir/expected.txt names no run" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "ok: $(basename "$dir"): $n run(s), every finding as expected"
exit "$status"
