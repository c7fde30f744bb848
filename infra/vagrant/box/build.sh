#!/usr/bin/env bash
# Builds the Vagrant box Shoal's VMs run (libvirt provider), with nothing downloaded but Debian's packages:
# Debian 12 from Debian's mirror with debootstrap, on one ext4 partition booted by extlinux, with Debian's
# kernel, systemd, systemd-networkd (DHCP on eth0), sshd, the `vagrant` user with Vagrant's insecure public key
# and sudo without password, the Debian packages infra/install.sh needs, and this host's Node.js 20 (Debian 12
# has 18). Adds it with `vagrant box add` as shoal-debian12-<hash>, the hash being of this script and of what it
# copies from the host; a box of that name already added is not built again.
#
# Usage: infra/vagrant/box/build.sh [--force]    prints the box's name on its last line
# Environment: SHOAL_DEBIAN_MIRROR (default: the mirror apt uses here), SHOAL_BOX_CACHE (work and package
#   cache, default ~/.cache/shoal-box), VAGRANT_HOME as Vagrant reads it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SHOAL_BOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shoal-box}
force=0
DISK_GIB=10

say() { echo "box: $*" >&2; }
die() {
  echo "box: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

# What the box runs besides debootstrap's minbase. Kernel and boot: linux-image-amd64, extlinux (and its MBR in
# syslinux-common); the system Vagrant drives: systemd-sysv, udev, dbus (hostnamectl), openssh-server, sudo,
# iproute2, iputils-ping; what infra/install.sh would install otherwise (runc nats-server iproute2 nftables
# procps gcc libc6-dev attr rsync), so provisioning needs no network; kmod for the overlay and vxlan modules;
# iperf3 for the overlay benchmark between VMs (bench/overlay-vms).
PACKAGES=linux-image-amd64,extlinux,syslinux-common,systemd-sysv,udev,dbus,openssh-server,sudo,iproute2,iputils-ping,iperf3,kmod,runc,nats-server,nftables,procps,gcc,libc6-dev,attr,rsync

# Node.js 20 or newer from this host: the binary and npm beside it.
node_bin=$(command -v node) || die "no node on the PATH; the box copies this host's Node.js 20"
node_bin=$(readlink -f "$node_bin")
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "this host's node is $("$node_bin" --version); the box needs Node.js 20 or newer"
npm_dir=$(cd "$(dirname "$node_bin")/../lib/node_modules/npm" 2>/dev/null && pwd) || die "no npm beside $node_bin (lib/node_modules/npm)"

# Vagrant's insecure public key, which Vagrant logs in with the first time (and then replaces per VM).
pubkey=$(find /usr/share/rubygems-integration /usr/share/vagrant /opt/vagrant -path '*/vagrant-*/keys/vagrant.pub' 2>/dev/null | head -n 1 || true)
[ -n "$pubkey" ] || die "Vagrant's insecure public key (keys/vagrant.pub of the vagrant gem) not found: install the vagrant package"

hash=$({
  cat "$0"
  sha256sum "$node_bin" | cut -d' ' -f1
  cat "$here/Vagrantfile.box" "$npm_dir/package.json" "$pubkey"
} | sha256sum | cut -c1-12)
name=shoal-debian12-$hash

if [ "$force" = 0 ] && vagrant box list --machine-readable 2>/dev/null | grep -q ",box-name,$name\$"; then
  say "$name is already added"
  echo "$name"
  exit 0
fi

mirror=${SHOAL_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The mirror apt is configured with here (one-line or deb822 sources), as the test harness finds it.
  mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    sed -n -E 's#^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^[:space:]]*/debian)/?([[:space:]].*)?$#\3#p' | head -n 1)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

for tool in debootstrap sfdisk mkfs.ext4 losetup qemu-img vagrant; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run scripts/setup-vagrant.sh"
done
[ "$(id -u)" -eq 0 ] || die "run this as root (debootstrap, loop devices and mounts)"

work=$cache/build-$hash
root=$work/root
loop=""
cleanup() {
  # Whatever the build mounted, innermost first, then the loop device and the work dir.
  for m in dev/pts dev proc sys ""; do
    if mountpoint -q "$root/$m" 2>/dev/null; then umount -l "$root/$m" || true; fi
  done
  if [ -n "$loop" ]; then losetup -d "$loop" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$root" "$cache/debs"
start=$SECONDS

# One MBR partition from 1 MiB to the end, bootable; the file system goes on a loop device at its offset.
raw=$work/disk.raw
truncate -s "${DISK_GIB}G" "$raw"
echo 'start=2048, type=83, bootable' | sfdisk --quiet "$raw"
loop=$(losetup --find --show --offset $((2048 * 512)) "$raw")
# No 64bit feature: extlinux reads ext4 without it.
mkfs.ext4 -q -O ^64bit -L root "$loop"
uuid=$(blkid -s UUID -o value "$loop" 2>/dev/null || tune2fs -l "$loop" | sed -n 's/^Filesystem UUID: *//p')
mount "$loop" "$root"

say "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --cache-dir="$cache/debs" --include="$PACKAGES" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (set SHOAL_DEBIAN_MIRROR for another mirror)"; }
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# --- System --------------------------------------------------------------------------------------------------
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
echo shoal-box >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 shoal-box\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# Empty: each VM makes its own at first boot (and so its own DHCP client id).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/90-eth0-dhcp.network" <<'EOF'
# The first NIC (Vagrant's management network) by DHCP; Vagrant writes its own files for the others.
[Match]
Name=eth0

[Network]
DHCP=ipv4
EOF
# No name server to reach: the VMs' networks lead nowhere. Names of the other VMs are Shoal's business.
: >"$root/etc/resolv.conf"
in_root systemctl enable systemd-networkd.service >/dev/null 2>&1
# Timers and services a test VM does not need (e2scrub_reap takes 25 s of an emulated CPU at boot), and Debian's
# own nats-server (each Shoal manager runs its own).
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer nats-server.service; do
  in_root systemctl disable "$unit" >/dev/null 2>&1 || true
done

# sshd, with a host key made at first boot (each VM its own): ed25519 only, since making the RSA key takes
# 20 s of an emulated CPU.
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=SSH host key of this VM
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
RequiredBy=ssh.service
EOF
in_root systemctl enable ssh-host-keys.service ssh.service >/dev/null 2>&1
printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\nGSSAPIAuthentication no\n' >"$root/etc/ssh/sshd_config.d/vagrant.conf"

# The vagrant user.
in_root useradd --create-home --shell /bin/bash vagrant
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/vagrant"
chmod 440 "$root/etc/sudoers.d/vagrant"
install -d -m 700 -o "$(in_root id -u vagrant)" -g "$(in_root id -g vagrant)" "$root/home/vagrant/.ssh"
install -m 600 -o "$(in_root id -u vagrant)" -g "$(in_root id -g vagrant)" "$pubkey" "$root/home/vagrant/.ssh/authorized_keys"

# Node.js and npm from this host.
install -m 755 "$node_bin" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
in_root node --version >/dev/null || die "the copied node does not run in the box"

# --- Boot: extlinux in the partition, syslinux's MBR in front ---------------------------------------------------
kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n 1)
initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' -printf '%f\n' | sort -V | tail -n 1)
mkdir -p "$root/boot/extlinux"
cat >"$root/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
TIMEOUT 1
LABEL debian
  LINUX /boot/$kernel
  INITRD /boot/$initrd
  APPEND root=UUID=$uuid ro console=tty0 console=ttyS0,115200 net.ifnames=0 biosdevname=0
EOF
in_root extlinux --install /boot/extlinux >/dev/null
dd if="$root/usr/lib/syslinux/mbr/mbr.bin" of="$raw" bs=440 count=1 conv=notrunc status=none

in_root apt-get clean
rm -rf "$root/var/lib/apt/lists"/* "$root/tmp"/* "$root/var/log"/*.log
# Blocks freed during the build are discarded from the raw file, so the qcow2 image holds only what is used.
fstrim "$root" || say "note: fstrim failed; the box is larger than it needs to be"
for m in dev/pts dev proc sys ""; do umount "$root/$m"; done
losetup -d "$loop"
loop=""

# --- The box -------------------------------------------------------------------------------------------------
say "packing the box"
qemu-img convert -O qcow2 "$raw" "$work/box.img"
rm -f "$raw"
printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' "$DISK_GIB" >"$work/metadata.json"
cp "$here/Vagrantfile.box" "$work/Vagrantfile"
tar -C "$work" -cf "$work/$name.box" metadata.json Vagrantfile box.img
vagrant box add --force --name "$name" "$work/$name.box" >&2
say "built and added $name in $((SECONDS - start)) s"
echo "$name"
