#!/usr/bin/env bash
# Sets everything up (system packages, npm ci, build) and runs the demo. Run as root on Debian 12 with Node 20.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/demo-raft.mjs
node scripts/demo-runtime.mjs
