#!/usr/bin/env bash
# The main job on the bundled example: the Metropolitan Police Service map
# drawn from its Annual Governance Statement 2021/22. Builds assure, checks the
# map, and imports the example tracker exports into out/met-2021-22.db.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null

map=mappings/met-2021-22/map.yaml
data=fixtures/met-2021-22
db=out/met-2021-22.db
mkdir -p out

echo "== Checking the assurance map"
build/assure validate --map "$map"

echo
echo "== Importing the tracker exports into $db"
build/assure import --map "$map" --db "$db" \
    audit_engagements="$data/audit_engagements.csv" \
    audit_actions="$data/audit_actions.csv" \
    inspection_findings="$data/inspection_findings.csv" \
    maturity_assessments="$data/maturity_assessments.csv"

echo
echo "The map and the data are in $db (SQLite). Rules that turn them into an"
echo "exception list come with 'assure check' (not built yet: see docs/cli.md)."
