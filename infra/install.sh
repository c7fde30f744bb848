#!/usr/bin/env bash
# Installs Shoal on a Debian or Ubuntu host, as root: the system packages it runs with, the code under
# /opt/shoal (from this checkout, another checkout, or a release tarball), its Node dependencies and build, the
# `shoal` command in /usr/local/bin, and the systemd units shoal-manager and shoal-agent (not started: run
# `shoal cluster init --systemd` or `shoal cluster join --systemd ...` next). Idempotent: a second run with the
# same source changes nothing. See docs/operations.md.
#
# Usage: infra/install.sh [--from DIR|TARBALL] [--prefix DIR]
# Environment: SHOAL_PREFIX (default /opt/shoal), SHOAL_BIN_DIR (default /usr/local/bin),
#   SHOAL_UNIT_DIR (default /etc/systemd/system), SHOAL_NODE_FROM_APT=1 to let apt install the `nodejs` package
#   when the host's apt sources offer version 20 or newer (for example after adding NodeSource's repository).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
prefix=${SHOAL_PREFIX:-/opt/shoal}
bin_dir=${SHOAL_BIN_DIR:-/usr/local/bin}
unit_dir=${SHOAL_UNIT_DIR:-/etc/systemd/system}
# What Shoal runs with: runc (containers), nats-server (the bus each manager supervises), iproute2, nftables and
# procps (task networking: ip, bridge, nft, sysctl), gcc and libc6-dev (to build the container shim), attr
# (overlayfs whiteouts when unpacking images), rsync (this script's copy). Test and benchmark tools are not here.
PACKAGES=(runc nats-server iproute2 nftables procps gcc libc6-dev attr rsync)
NODE_MAJOR_MIN=20

die() {
  echo "install: $*" >&2
  exit 1
}
say() { echo "install: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] || die "--from needs a directory or a .tar.gz"; src=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run this as root (it installs packages, /opt/shoal and systemd units)"

# Debian 12+ or Ubuntu 22.04+ (or a derivative that says it is like them), with apt.
os_id=unknown os_like="" os_name=unknown
if [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  os_id=${ID:-unknown} os_like=${ID_LIKE:-} os_name=${PRETTY_NAME:-$os_id}
fi
case " $os_id $os_like " in
  *" debian "* | *" ubuntu "*) ;;
  *) die "unsupported system: $os_name. Shoal installs on Debian (12 or newer) or Ubuntu (22.04 or newer) with apt and systemd" ;;
esac
command -v apt-get >/dev/null 2>&1 || die "apt-get not found on $os_name; this installer needs apt"
[ "$(uname -s)" = Linux ] || die "Shoal runs containers with Linux namespaces and cgroups; this is $(uname -s)"

changed=0
export DEBIAN_FRONTEND=noninteractive

# --- Node.js -----------------------------------------------------------------------------------------------
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_help="Shoal needs Node.js $NODE_MAJOR_MIN or newer with npm, and Debian 12 ships Node.js 18. Install Node.js $NODE_MAJOR_MIN+ \
first: from NodeSource's apt repository (https://github.com/nodesource/distributions, then run this again with \
SHOAL_NODE_FROM_APT=1 or install \`nodejs\` yourself), from Debian 13 or Ubuntu 24.04's own packages, or any \
build of your choice on the PATH. This installer never downloads Node.js binaries by itself."
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt "$NODE_MAJOR_MIN" ]; then
  if [ "${SHOAL_NODE_FROM_APT:-}" = 1 ]; then
    candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*\).*/\1/p')
    if [ -n "$candidate" ] && [ "$candidate" -ge "$NODE_MAJOR_MIN" ]; then
      say "installing nodejs $candidate from the configured apt sources"
      apt-get install -y -qq --no-install-recommends nodejs >/dev/null
      changed=1
    else
      die "SHOAL_NODE_FROM_APT=1, but apt offers nodejs ${candidate:-(none)}, not $NODE_MAJOR_MIN or newer. $node_help"
    fi
  else
    found=$(command -v node >/dev/null 2>&1 && node --version || echo "no node on the PATH")
    die "found $found. $node_help"
  fi
fi
node_bin=$(command -v node)

# --- System packages ---------------------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  changed=1
  # Debian starts nats-server as a service of its own; Shoal's managers run their own nats-server.
  if [ -d /run/systemd/system ] && systemctl is-enabled --quiet nats-server 2>/dev/null; then
    systemctl disable --now nats-server >/dev/null 2>&1 || true
  fi
fi

# --- The code, under the prefix ------------------------------------------------------------------------------
tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ -f "$src" ]; then
  tmp=$(mktemp -d)
  # mktemp's 700 would be copied onto the prefix when the tarball's entries have no directory of their own.
  chmod 755 "$tmp"
  tar -xzf "$src" -C "$tmp" || die "cannot unpack $src: give a .tar.gz of a Shoal tree, or a directory"
  # A release tarball holds one top directory (shoal-<version>/); take it when that is all there is.
  entries=("$tmp"/*)
  if [ ${#entries[@]} -eq 1 ] && [ -d "${entries[0]}" ]; then src=${entries[0]}; else src=$tmp; fi
fi
if [ ! -f "$src/apps/cli/bin/shoal.mjs" ] || [ ! -f "$src/package-lock.json" ]; then
  die "$src is not a Shoal tree (no apps/cli/bin/shoal.mjs or package-lock.json)"
fi
src=$(cd "$src" && pwd)

mkdir -p "$prefix"
if [ "$src" != "$(cd "$prefix" && pwd)" ]; then
  # Build outputs made here (node_modules, dist, the shim) are kept when the source has none of its own; what
  # tests, benchmarks and Vagrant leave in a checkout is not copied.
  copied=$(rsync -a --delete --itemize-changes --exclude=/.git --exclude=/.tmp/ --exclude=/test-artifacts/ \
    --exclude=/bench/results/ --exclude=/infra/images/out/ --exclude=/infra/vagrant/.vagrant/ --exclude=/infra/vagrant/.cluster/ \
    --filter='P /node_modules/' --filter='P dist/' --filter='P *.tsbuildinfo' --filter='P /libs/runtime/bin/' \
    "$src/" "$prefix/" | wc -l)
  if [ "$copied" -gt 0 ]; then say "copied $src to $prefix ($copied changes)"; changed=1; fi
fi

cd "$prefix"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null 2>&1 || die "npm not found next to node ($node_bin). $node_help"
  say "installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  changed=1
fi
# Both are no-ops when the build is up to date.
node node_modules/typescript/bin/tsc -b || die "the TypeScript build failed in $prefix"
bash libs/runtime/shim/build.sh || die "building the container shim failed (gcc and libc6-dev are needed)"
# The web dashboard the manager serves at /, bundled by Vite when its bundle is missing or older than a source.
web=apps/dashboard/dist/web/index.html
if [ -d apps/dashboard/src ] && { [ ! -f "$web" ] || [ -n "$(find apps/dashboard/src apps/dashboard/index.html apps/dashboard/vite.config.mjs -newer "$web" 2>/dev/null | head -n 1)" ]; }; then
  say "bundling the web dashboard"
  (cd apps/dashboard && node ../../node_modules/vite/bin/vite.js build --logLevel warn) || die "bundling the web dashboard failed in $prefix/apps/dashboard"
  changed=1
fi

# --- The command and the units -------------------------------------------------------------------------------
# Writes $2 to file $1 (mode $3) unless it already holds exactly that.
put() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ] && [ "$(stat -c %a "$1")" = "$3" ]; then return 1; fi
  mkdir -p "$(dirname "$1")"
  printf '%s\n' "$2" >"$1.tmp.$$"
  chmod "$3" "$1.tmp.$$"
  mv -f "$1.tmp.$$" "$1"
  say "wrote $1"
  changed=1
}

put "$bin_dir/shoal" "#!/bin/sh
# The Shoal command, installed by infra/install.sh from $prefix.
exec $node_bin $prefix/apps/cli/bin/shoal.mjs \"\$@\"" 755 || true

# br_netfilter, at every boot and now: each overlay network's netns sets net.bridge.bridge-nf-call-iptables (VIP
# replies are un-NATed by conntrack as they are bridged), a sysctl that exists only once the module is loaded.
# Docker loads it on hosts that run it; a plain Debian system does not.
put /etc/modules-load.d/shoal.conf "# Loaded for Shoal's agent (infra/install.sh): bridged overlay traffic through conntrack.
br_netfilter" 644 || true
if [ ! -d /proc/sys/net/bridge ]; then
  if command -v modprobe >/dev/null 2>&1 && modprobe br_netfilter; then
    say "loaded the br_netfilter kernel module"
  else
    say "note: could not load the br_netfilter kernel module; the overlay's networks need it (modprobe br_netfilter)"
  fi
fi

units_changed=0
for unit in shoal-manager.service shoal-agent.service; do
  if put "$unit_dir/$unit" "$(sed "s#/usr/local/bin/shoal#$bin_dir/shoal#; s#/opt/shoal/#$prefix/#" "$prefix/infra/systemd/$unit")" 644; then units_changed=1; fi
done
mkdir -p /etc/shoal /var/lib/shoal
chmod 700 /var/lib/shoal

if [ -d /run/systemd/system ]; then
  if [ "$units_changed" = 1 ]; then systemctl daemon-reload; fi
else
  say "note: systemd is not running here; the units are installed but not loaded"
fi

if [ "$changed" = 0 ]; then
  say "Shoal is installed and up to date in $prefix: nothing to do"
else
  say "Shoal $(node -p "require('$prefix/package.json').version") is installed: $bin_dir/shoal, units in $unit_dir"
  say "next: \`shoal cluster init --systemd\` on the first manager, or \`shoal cluster join --systemd --token ... HOST:7070\`"
fi
