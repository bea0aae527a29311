#!/usr/bin/env bash
# Installs, with apt-get, whichever build and test dependencies this machine lacks.
# Safe to run again: it installs nothing when everything is present.
set -euo pipefail

# Packages the build needs (libzip and expat read .xlsx workbooks; nettle-dev:
# SHA-256; libseccomp-dev: the rule workers' system-call filter), then the
# ones only the tests need: the sqlite3 CLI (the end-to-end tests use it to
# prove stored data is unchanged), valgrind (the end-to-end tests run once
# under it), and clang with its runtime libraries (libFuzzer, for
# scripts/fuzz.sh; never linked into assure).
pkgs=(cmake make pkg-config gcc libc6-dev liblua5.4-dev libsqlite3-dev libyaml-dev libzip-dev
      libexpat1-dev nettle-dev libseccomp-dev libcmocka-dev sqlite3 valgrind clang
      libclang-rt-14-dev)
# Test-only: tmux, in which tests/e2e/cases/terminal.sh types at a real
# terminal (skipped without it); bsdutils' script(1), which
# tests/bench/progress_bench.sh draws progress through (essential, so present).
pkgs+=(tmux)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
