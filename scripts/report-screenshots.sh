#!/usr/bin/env bash
# Regenerates the screenshots of the board pack in docs/img/ from the Met
# example (a run as at the Audit Panel of 3 October 2022), with headless
# Chromium (test-only; scripts/setup.sh installs it):
#   report-summary.png   the first screen of the report at 1280 x 900
#   report-map.png       the assurance map alone (--section map), 1280 wide
#   report-phone.png     the first screen on a phone (500 px, Chromium's narrowest)
#
#   scripts/report-screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
assure=${ASSURE:-build/assure}
browser=$(command -v chromium || command -v chromium-browser) ||
    { echo "report-screenshots: chromium is not installed (scripts/setup.sh)" >&2; exit 1; }
map=mappings/met-2021-22/map.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exports=()
for f in fixtures/met-2021-22/*.csv; do exports+=(--export "$(basename "$f" .csv)=$f"); done
"$assure" run --quiet --map "$map" --db "$work/db" --rules rules --as-of 2022-10-03 \
    "${exports[@]}" || [ $? -eq 1 ]
"$assure" report --map "$map" --db "$work/db" --rules rules --output "$work/report.html"
"$assure" report --map "$map" --db "$work/db" --section map --output "$work/map.html"
shot() { # output width height page
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$work/profile" --window-size="$2,$3" --screenshot="$1" "file://$4" \
        >/dev/null 2>&1
}
shot docs/img/report-summary.png 1280 900 "$work/report.html"
shot docs/img/report-map.png 1280 2420 "$work/map.html"
shot docs/img/report-phone.png 500 1000 "$work/report.html"
ls -l docs/img/report-*.png
