#!/usr/bin/env bash
# Installs DuckDB for the benchmark's anchor (tests/bench/duckdb_checks.mjs):
# @duckdb/node-api at a pinned version, from the npm registry, into
# out/bench-node/ (ignored by git; never part of assure, never a dependency).
# Does nothing when that version is there already. Needs node and npm.
#
#   tests/bench/duckdb_setup.sh          prints the directory it is in
#   DUCKDB_NODE_API=1.5.6-r.1 tests/bench/duckdb_setup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${DUCKDB_NODE_API:-1.5.6-r.1}
dir=$PWD/out/bench-node
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "duckdb_setup: needs node and npm (Debian: nodejs, npm)" >&2
    exit 1
fi
have=$(node -p "require('$dir/node_modules/@duckdb/node-api/package.json').version" 2>/dev/null || true)
if [ "$have" != "$version" ]; then
    echo "duckdb_setup: installing @duckdb/node-api@$version from the npm registry into $dir" \
        "(for the benchmark only)" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --save-exact --loglevel=error \
        "@duckdb/node-api@$version" >&2
fi
echo "$dir"
