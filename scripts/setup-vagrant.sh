#!/usr/bin/env bash
# Sets up this Debian 12 machine, as root, for Shoal's Vagrant cluster (infra/vagrant) on libvirt: the Debian
# packages (vagrant and its libvirt plugin, libvirt's daemon and qemu driver, qemu, the tools the box builder
# uses), libvirt's qemu user, and the libvirtd and virtlogd daemons, started here when no init system runs them.
# Idempotent and quick once done. Kept apart from scripts/setup.sh: it is heavier, and only the VM tests need it.
#
# NB: libvirt-daemon-system is left out on purpose: it pulls in systemd as init, which these machines do not
# run. What it would do (the libvirt-qemu user, the log dir) is done here.
set -euo pipefail

# vagrant, vagrant-libvirt: the Vagrantfile's provider; libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients
# (virsh): the daemon vagrant-libvirt drives; qemu-system-x86, qemu-utils (qemu-img): the VMs and their disks;
# dnsmasq-base: DHCP and DNS on libvirt's networks; debootstrap, fdisk (sfdisk), e2fsprogs: the box builder
# (infra/vagrant/box/build.sh); rsync and openssh-client: Vagrant's synced folder and ssh.
PACKAGES=(vagrant vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  dnsmasq-base debootstrap fdisk e2fsprogs rsync openssh-client)

say() { echo "setup-vagrant: $*"; }
die() {
  echo "setup-vagrant: $*" >&2
  exit 1
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages ${missing[*]}; run this script as root (or: apt-get install ${missing[*]})"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if virsh -c qemu:///system version >/dev/null 2>&1; then
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "libvirtd does not answer at qemu:///system; run this script as root to start it"

# The qemu driver of Debian's libvirtd resolves its compiled-in user and group (libvirt-qemu) before it reads
# qemu.conf, and refuses to start without them.
getent group kvm >/dev/null || groupadd --system kvm
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
  useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin -g kvm -G libvirt-qemu libvirt-qemu
# qemu runs as root with no security driver: there is no AppArmor profile set up for it on these machines.
if [ ! -f /etc/libvirt/qemu.conf ]; then
  mkdir -p /etc/libvirt
  cat >/etc/libvirt/qemu.conf <<'EOF'
# Written by Shoal's scripts/setup-vagrant.sh: qemu runs as root, with no security driver.
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
EOF
fi
mkdir -p /var/log/libvirt/qemu /var/lib/libvirt/images /var/lib/libvirt/qemu /var/lib/libvirt/dnsmasq /var/cache/libvirt /run/libvirt

if [ -d /run/systemd/system ]; then
  say "starting libvirtd with systemd"
  systemctl start virtlogd.socket libvirtd.socket libvirtd.service
else
  # No init system: the daemons run detached (-d) and outlive this script, like a service would. At the lowest
  # CPU and I/O priority, which the VMs (children of libvirtd) inherit: emulated VMs take every cycle they get,
  # and must not starve whatever else this machine runs.
  say "starting virtlogd and libvirtd (no init system here)"
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pgrep -x libvirtd >/dev/null || nice -n 19 ionice -c3 libvirtd -d
fi
for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
  sleep 0.2
done
die "libvirtd did not answer at qemu:///system within 10 s; see /var/log/libvirt/libvirtd.log"
