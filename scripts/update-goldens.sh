#!/usr/bin/env bash
# Rewrites the Met example's expected exception lists
# (fixtures/met-2021-22/expected/) from the current build, for when a change
# to the rules or the map rightly changes them. Read the diff before you
# commit it: every changed finding needs a reason.
#
#   scripts/update-goldens.sh
set -euo pipefail
cd "$(dirname "$0")/.."
assure=${ASSURE:-build/assure}
map=mappings/met-2021-22/map.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for f in fixtures/met-2021-22/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
"$assure" import --quiet --map "$map" --db "$work/db" --as-of 2022-10-03 "${files[@]}"
for f in text csv json jsonl; do
    COLUMNS=80 "$assure" check --map "$map" --db "$work/db" --rules rules --as-of 2022-10-03 --format "$f" |
        grep -v '"elapsed_ms"' >"fixtures/met-2021-22/expected/exceptions.$f" || true
done
git diff --stat -- fixtures/met-2021-22/expected/
