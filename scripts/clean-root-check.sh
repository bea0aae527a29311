#!/usr/bin/env bash
# By hand, not part of the test suite (it needs root, debootstrap and the
# network): installs the .deb that scripts/package.sh built into a fresh
# minimal Debian 12 root with apt, then runs the worked example there from
# the installed files alone -- validate, import, check (compared with the
# golden exception list) and every test case of the rule library.
#
#   sudo scripts/clean-root-check.sh [ROOT_DIR]      (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls build-package/package/assure_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "no .deb: run scripts/package.sh first" >&2; exit 66; }
command -v debootstrap >/dev/null || { echo "needs debootstrap (apt-get install debootstrap)" >&2; exit 69; }
root=${1:-$(mktemp -d)}
[ -x "$root/bin/sh" ] || debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
cp "$deb" "$root/tmp/assure.deb"
chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --reinstall --no-install-recommends /tmp/assure.deb >/dev/null'
chroot "$root" /bin/bash -c '
set -euo pipefail
assure --version
org=$(mktemp -d) && mkdir -p "$org/exports" && cd "$org"
cp /usr/share/assure/fixtures/met-2021-22/*.csv exports/
sed "s|^include: .*|include: [assure:mappings/standard/datasets.yaml]|" \
    /usr/share/assure/mappings/met-2021-22/map.yaml >map.yaml
assure validate --map map.yaml --rules assure:rules
files=(); for f in exports/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
assure import --quiet --map map.yaml --db met.db --as-of 2022-10-03 "${files[@]}"
rc=0
assure check --map map.yaml --db met.db --rules assure:rules --as-of 2022-10-03 \
    --output exceptions.text || rc=$?
[ "$rc" -eq 1 ] || { echo "check: exit code $rc, expected 1" >&2; exit 1; }
cmp exceptions.text /usr/share/assure/fixtures/met-2021-22/expected/exceptions.text
echo "check: the golden exception list, from the installed files alone"
assure test --rules assure:rules 2>/dev/null | tail -1
'
echo "clean root: $root"
