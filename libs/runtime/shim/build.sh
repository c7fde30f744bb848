#!/usr/bin/env bash
# Builds the container shim (shoal-shim) and the containers' init (shoal-init, static) from shim/*.c into bin/,
# when a source is newer than its binary. Needs gcc and libc6-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
if [ ! -x bin/shoal-shim ] || [ shim/shoal-shim.c -nt bin/shoal-shim ]; then
  gcc -O2 -Wall -Wextra -Werror -std=gnu11 -o bin/shoal-shim.tmp shim/shoal-shim.c
  mv bin/shoal-shim.tmp bin/shoal-shim
fi
if [ ! -x bin/shoal-init ] || [ shim/shoal-init.c -nt bin/shoal-init ]; then
  gcc -O2 -s -Wall -Wextra -Werror -std=gnu11 -static -o bin/shoal-init.tmp shim/shoal-init.c
  mv bin/shoal-init.tmp bin/shoal-init
fi
