#!/usr/bin/env bash
# Installs, with apt-get, whichever build and test dependencies this machine lacks.
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

# Packages the build needs (libzip and expat read .xlsx workbooks; nettle-dev:
# SHA-256; libseccomp-dev: the rule workers' system-call filter;
# libxlsxwriter-dev writes the Excel exception list, --format xlsx), then the
# ones only the tests need: the sqlite3 CLI (the end-to-end tests use it to
# prove stored data is unchanged), valgrind (the end-to-end tests run once
# under it), and clang with its runtime libraries (libFuzzer, for
# scripts/fuzz.sh; never linked into assure).
# Test-only: python3-openpyxl (the end-to-end tests read the .xlsx back
# with an independent reader); dpkg-dev: dpkg-shlibdeps, which works out the
# .deb's Depends (scripts/package.sh, the install_deb test); man-db and
# groff-base: the tests render the man pages; zsh: the test of the zsh
# completion.
pkgs=(cmake make pkg-config gcc libc6-dev liblua5.4-dev libsqlite3-dev libyaml-dev libzip-dev
      libexpat1-dev nettle-dev libseccomp-dev libxlsxwriter-dev libcmocka-dev sqlite3 valgrind clang
      libclang-rt-14-dev python3-openpyxl dpkg-dev man-db groff-base zsh)

# Test-only: tmux, in which tests/e2e/cases/terminal.sh types at a real
# terminal (skipped without it); bsdutils' script(1), which
# tests/bench/progress_bench.sh draws progress through (essential, so present).
pkgs+=(tmux)

# Test-only and optional: headless Chromium renders the board pack (assure
# report) in tests/e2e/cases/report.sh, which skips its browser cases
# without it; never a runtime dependency. A failed install is not fatal.
optional=(chromium)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
optional_missing=()
for p in "${optional[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        optional_missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#optional_missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]} ${optional_missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
[ ${#missing[@]} -eq 0 ] || $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ ${#optional_missing[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${optional_missing[@]}" >/dev/null ||
        echo "setup: could not install ${optional_missing[*]}; the browser tests will be skipped" >&2
fi
