#!/usr/bin/env bash
# Runs the end-to-end scenarios on real VMs (`npm run test:vagrant`), as root on a Debian 12 host: sets up
# libvirt (scripts/setup-vagrant.sh), builds the box if it is not there yet, packs this checkout with its build
# into a tarball, brings up 1 manager and 2 workers (infra/vagrant) provisioned from that tarball with
# infra/install.sh, `cluster init --systemd` and `cluster join --systemd`, then runs the scenarios with
# SHOAL_E2E_TARGET=vagrant. Each run has its own name prefix, subnets and Vagrant state, so it never touches
# another run's VMs, and on exit (success, failure or Ctrl-C) destroys its VMs, networks, disk volumes and
# state, and stops libvirtd and virtlogd if it started them. Prints each phase's duration at the end.
#
# Usage: scripts/test-vagrant.sh [--managers N] [--workers N] [--smoke] [--bench | --bench-only]
#   --managers N   managers (default 1)
#   --workers N    workers (default 2)
#   --smoke        1 manager and 1 worker
#   --bench        after the scenarios, the overlay benchmark between two VMs (bench/overlay-vms), whose
#                  chart goes to docs/img/overlay-vms.svg (overlay-vms-mtu<N>.svg with SHOAL_MTU=N)
#   --bench-only   the benchmark without the scenarios
# Environment: SHOAL_NAME_PREFIX (default shoalt-<random>), SHOAL_SUBNET and SHOAL_MGMT_SUBNET (default: two
#   free 192.168.x networks), SHOAL_MTU (the private network's), and the Vagrantfile's other SHOAL_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

say() { echo "test-vagrant: $*"; }
die() {
  echo "test-vagrant: $*" >&2
  exit 2
}

managers=1 workers=2 scenarios=1 bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --managers | --workers)
      if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then die "$1 needs a number"; fi
      if [ "$1" = --managers ]; then managers=$2; else workers=$2; fi
      shift 2
      ;;
    --smoke) managers=1 workers=1; shift ;;
    --bench) bench=1; shift ;;
    --bench-only) bench=1 scenarios=0; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$managers" -ge 1 ] || die "--managers must be 1 or more"
[ "$bench" = 0 ] || [ $((managers + workers)) -ge 2 ] || die "--bench needs two VMs or more"
[ "$(id -u)" -eq 0 ] || die "run this as root: it starts libvirtd and drives qemu:///system"

virsh() { command virsh -c qemu:///system "$@"; }

# --- Phases and their durations ----------------------------------------------------------------------------------
phases=() phase_name="" phase_start=0
phase() {
  local now
  now=$(date +%s)
  if [ -n "$phase_name" ]; then phases+=("$phase_name $((now - phase_start))"); fi
  phase_name=$1 phase_start=$now
  if [ -n "$1" ]; then say "--- $1"; fi
}

# --- This run's names and state ------------------------------------------------------------------------------------
prefix=${SHOAL_NAME_PREFIX:-shoalt-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')}
[[ "$prefix" =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "SHOAL_NAME_PREFIX must be a lowercase name of at most 20 characters"
run_rel=infra/vagrant/.runs/$prefix
run_dir=$repo/$run_rel
started_libvirtd=0 made_dir=0 result=1 volumes_before="" pools_before=""
export VAGRANT_DOTFILE_PATH=$run_dir/vagrant
export SHOAL_NAME_PREFIX=$prefix SHOAL_MANAGERS=$managers SHOAL_WORKERS=$workers
export SHOAL_CLUSTER_DIR=$run_rel/cluster SHOAL_TARBALL=$run_rel/cluster/shoal.tar.gz

# Lists the disk volumes of every libvirt storage pool, as "POOL VOLUME" lines.
volumes() {
  local pool
  for pool in $(virsh pool-list --all --name 2>/dev/null); do
    virsh vol-list "$pool" 2>/dev/null | awk -v pool="$pool" 'NR > 2 && NF { print pool, $1 }'
  done
}

# Removes everything this run made: the VMs (vagrant destroy, then virsh for any it left), the two networks, the
# disk volumes that were not there before it (its VMs' disks, and the box's image if it uploaded it), a storage
# pool it defined, the run's folder.
cleanup() {
  local code=$? vm vol pool
  trap - EXIT INT TERM
  [ -n "$phase_name" ] && [ "$result" != 0 ] && say "failed during: $phase_name"
  phase destroy
  if [ "$made_dir" = 1 ]; then
    if [ "$result" != 0 ] && [ -d "$VAGRANT_DOTFILE_PATH/serial" ]; then
      mkdir -p "test-artifacts/vagrant/$prefix"
      cp -r "$VAGRANT_DOTFILE_PATH/serial" "test-artifacts/vagrant/$prefix/" || true
      say "the VMs' serial logs are kept in test-artifacts/vagrant/$prefix/serial"
    fi
    (cd infra/vagrant && vagrant destroy -f) || say "vagrant destroy failed; removing what is left with virsh"
    for vm in $(virsh list --all --name 2>/dev/null | grep -F "_$prefix-" || true); do
      virsh destroy "$vm" >/dev/null 2>&1 || true
      virsh undefine "$vm" --remove-all-storage >/dev/null 2>&1 || virsh undefine "$vm" >/dev/null 2>&1 || true
    done
    for net in "$prefix-mgmt" "$prefix-net"; do
      if virsh net-info "$net" >/dev/null 2>&1; then
        virsh net-destroy "$net" >/dev/null 2>&1 || true
        virsh net-undefine "$net" >/dev/null 2>&1 || true
      fi
    done
    while read -r pool vol; do
      case "$vol" in
        *"_$prefix-"* | "${SHOAL_BOX:-none}_"*) ;;
        *) continue ;;
      esac
      grep -qxF "$pool $vol" <<<"$volumes_before" && continue
      virsh vol-delete "$vol" --pool "$pool" >/dev/null 2>&1 || say "could not delete volume $vol of pool $pool"
    done < <(volumes)
    # A storage pool vagrant-libvirt defined for this run (the default one, on a fresh host), once empty.
    for pool in $(virsh pool-list --all --name 2>/dev/null); do
      grep -qxF "$pool" <<<"$pools_before" && continue
      [ -z "$(volumes | awk -v p="$pool" '$1 == p')" ] || continue
      virsh pool-destroy "$pool" >/dev/null 2>&1 || true
      virsh pool-undefine "$pool" >/dev/null 2>&1 || say "could not undefine storage pool $pool"
    done
    rm -rf "$run_dir"
    rmdir infra/vagrant/.runs 2>/dev/null || true
  fi
  if [ "$started_libvirtd" = 1 ] && [ -z "$(virsh list --name 2>/dev/null | tr -d '[:space:]')" ]; then
    # Started by setup-vagrant.sh for this run, and no VM of anyone runs on it: stopped as it was found.
    for d in libvirtd virtlogd; do
      if [ -s "/run/$d.pid" ]; then kill "$(cat "/run/$d.pid")" 2>/dev/null || true; fi
    done
  fi
  phase ""
  echo
  say "phase durations (s):"
  local p
  for p in "${phases[@]}"; do printf '  %-12s %5s\n' "${p% *}" "${p##* }"; done
  if [ "$result" = 0 ]; then say "passed ($managers manager(s), $workers worker(s))"; else say "FAILED"; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Host and box ----------------------------------------------------------------------------------------------------
phase setup
virsh version >/dev/null 2>&1 || started_libvirtd=1
bash scripts/setup-vagrant.sh
volumes_before=$(volumes)
pools_before=$(virsh pool-list --all --name)
[ -f node_modules/.package-lock.json ] || die "no node_modules here: run scripts/setup.sh first (npm ci and the build)"

phase box
SHOAL_BOX=$(bash infra/vagrant/box/build.sh | tail -n 1)
export SHOAL_BOX

# Two /24s of 192.168.0.0/16 that neither this host nor a libvirt network uses: the private network and the
# management one (DHCP, ssh). Picked from a random start, so that two runs starting together rarely collide.
used=$(
  {
    ip -4 -o addr show | awk '{ print $4 }'
    for n in $(virsh net-list --all --name); do virsh net-dumpxml "$n" | sed -n "s/.*<ip address='\([0-9.]*\)'.*/\1/p"; done
  } | sed -n 's/^192\.168\.\([0-9]*\)\..*/\1/p' | sort -u
)
free=()
start=$((RANDOM % 100))
for i in $(seq 0 99); do
  octet=$((150 + (start + i) % 100))
  grep -qx "$octet" <<<"$used" || free+=("$octet")
  [ ${#free[@]} -ge 2 ] && break
done
[ ${#free[@]} -ge 2 ] || die "no two free 192.168.x.0/24 networks between 150 and 249"
export SHOAL_SUBNET=${SHOAL_SUBNET:-192.168.${free[0]}}
export SHOAL_MGMT_SUBNET=${SHOAL_MGMT_SUBNET:-192.168.${free[1]}.0/24}
say "run $prefix: $managers manager(s), $workers worker(s); private network $SHOAL_SUBNET.0/24, management $SHOAL_MGMT_SUBNET"

# --- The tarball the VMs install from ---------------------------------------------------------------------------------
# This checkout with its build (node_modules, dist, the shim), less what install.sh's own copy leaves out: the
# tree install.sh would otherwise copy file by file over the synced folder. The VMs have no network, so the
# dependencies come installed from here. Directories are in it too, with their times, so that install.sh finds
# the build up to date (an unpacked directory newer than the dashboard's bundle would have it bundled again).
phase tarball
mkdir -p "$run_dir/cluster" "$VAGRANT_DOTFILE_PATH"
made_dir=1
npx tsc -b
tar --use-compress-program='gzip -1' -cf "$repo/$SHOAL_TARBALL" --exclude=./.git --exclude=./.tmp \
  --exclude=./test-artifacts --exclude=./bench/results --exclude=./infra/images/out --exclude=./infra/vagrant/.vagrant \
  --exclude=./infra/vagrant/.cluster --exclude=./infra/vagrant/.runs -C "$repo" .
say "tarball: $(du -h "$repo/$SHOAL_TARBALL" | cut -f1)"

# --- The VMs ------------------------------------------------------------------------------------------------------------
phase up
# Without the hundreds of "Progress: N%" updates of the box's upload, which come as one line of carriage returns.
(cd infra/vagrant && vagrant up --provider=libvirt --no-parallel) | stdbuf -oL tr '\r' '\n' | grep --line-buffered -v '^.\{0,4\}Progress: '
(cd infra/vagrant && vagrant ssh-config) >"$run_dir/cluster/ssh-config"

# --- The scenarios -------------------------------------------------------------------------------------------------------
if [ "$scenarios" = 1 ]; then
  phase scenarios
  SHOAL_E2E_TARGET=vagrant SHOAL_E2E_VAGRANT_DIR=$run_dir/cluster node scripts/test.mjs test/harness/dist/scenarios
fi
if [ "$bench" = 1 ]; then
  phase bench
  mkdir -p docs/img
  node bench/overlay-vms/run.mjs --cluster-dir "$run_dir/cluster" --svg "docs/img/overlay-vms${SHOAL_MTU:+-mtu$SHOAL_MTU}.svg"
fi
result=0
