#!/usr/bin/env bash
# Sets up this checkout on a Debian 12 machine as root: the system packages Shoal and its tests use, the
# npm dependencies (npm ci), and a build. Idempotent and quick when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: etcd-server and etcd-client for the Raft benchmark's peer; runc, the low-level container
# executor; busybox-static (and file, to check it) for the busybox image built by infra/images; gcc and
# libc6-dev to build the runtime's container shim (and the seccomp tests' probe); linux-libc-dev, whose syscall
# headers the seccomp table is checked against; attr (setfattr) for overlayfs whiteouts; docker-registry,
# the registry the image-pull tests run on loopback; nats-server, the manager-agent bus each manager supervises;
# iproute2 and nftables, which the agent drives for task networking and published ports; docker.io, whose daemon
# runs the containers the multi-node test harness makes its nodes of; redis-server, whose binary infra/images
# packs into the redis image the network tests use; iperf3 and iputils-ping for the overlay benchmark; chromium,
# the headless browser the dashboard's tests drive.
PACKAGES=(etcd-server etcd-client runc busybox-static file gcc libc6-dev linux-libc-dev attr docker-registry nats-server iproute2 nftables docker.io redis-server iperf3 iputils-ping chromium)
# The shellcheck package, which `npm run lint` runs on every shell script; vagrant, whose `vagrant validate` checks
# infra/vagrant/Vagrantfile; debootstrap, which makes the fresh Debian 12 node infra/install.sh is tested on.
PACKAGES+=(shellcheck vagrant debootstrap)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages ${missing[*]}; run this script as root (or: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the services it installs (where an init system runs); the benchmark and tests start their own.
  if command -v systemctl >/dev/null 2>&1; then
    for unit in etcd docker-registry nats-server redis-server; do
      if systemctl is-active --quiet "$unit" 2>/dev/null; then systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    done
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required, found $(node --version)" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -b
# The web dashboard the manager serves at / (bundled by Vite from apps/dashboard into apps/dashboard/dist/web).
npm run build --silent -w @shoal/dashboard
bash libs/runtime/shim/build.sh
