#!/usr/bin/env bash
# The whole test suite: unit and end-to-end tests on the normal build, the
# mutation score of the standard rules, the end-to-end tests again under
# valgrind, then everything on the sanitizer build (ASan + UBSan), then each
# fuzz target for 20 seconds (clang, libFuzzer). Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
# Mutation testing of the standard rules: their cases must notice at least
# 90% of the small changes assure makes to them (docs/testing-rules.md; the
# cases state the evidence values and rows an auditor reads, so mutants that
# change only those are noticed too).
build/assure test --rules rules --mutate --min-mutation 90 --jobs "$(nproc)"
ASSURE_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
    ctest --test-dir build --output-on-failure -j "$(nproc)" -R '^e2e[.]'

scripts/build.sh --sanitize
ctest --test-dir build-asan --output-on-failure -j "$(nproc)"

# Each libFuzzer target briefly (20 s each; scripts/fuzz.sh SECONDS for longer).
scripts/fuzz.sh 20
