#!/usr/bin/env bash
# Builds the container shim (shoal-shim) from shim/shoal-shim.c into bin/, when the source is newer than the
# binary. Needs gcc and libc6-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
if [ ! -x bin/shoal-shim ] || [ shim/shoal-shim.c -nt bin/shoal-shim ]; then
  gcc -O2 -Wall -Wextra -Werror -std=gnu11 -o bin/shoal-shim.tmp shim/shoal-shim.c
  mv bin/shoal-shim.tmp bin/shoal-shim
fi
