#!/usr/bin/env bash
# Builds assure into build/ (normal) or, with --sanitize, build-asan/
# (AddressSanitizer + UndefinedBehaviorSanitizer). Installs missing packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${1:-}" = "--sanitize" ]; then
    cmake -S . -B build-asan -DASSURE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-asan -j "$(nproc)"
else
    cmake -S . -B build >/dev/null
    cmake --build build -j "$(nproc)"
fi
