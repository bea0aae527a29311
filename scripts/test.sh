#!/usr/bin/env bash
# The whole test suite: unit and end-to-end tests on the normal build, then
# again on the sanitizer build (ASan + UBSan; any report fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"

scripts/build.sh --sanitize
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
