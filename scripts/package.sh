#!/usr/bin/env bash
# Builds the Debian package: a release build in build-package/, then
# 'cpack -G DEB', which installs into a staging root with the /usr prefix
# and asks dpkg-shlibdeps for the runtime libraries the binary needs.
# Prints the path of the .deb. docs/install.md says how to install it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
b=build-package
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DASSURE_TESTS=OFF >/dev/null
cmake --build "$b" -j "$(nproc)" >/dev/null
rm -f "$b"/package/*.deb
(cd "$b" && cpack -G DEB >/dev/null)
ls "$PWD/$b"/package/*.deb
