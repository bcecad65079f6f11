#!/usr/bin/env bash
# Configure and build Kindling in ./build (extra arguments go to configure).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi >/dev/null 2>&1
mkdir -p build
cd build
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then ../configure -q "$@"; fi
make -j"$(nproc)" >/dev/null
