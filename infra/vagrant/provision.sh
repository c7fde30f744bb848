#!/usr/bin/env bash
# Provisions one Vagrant node (see Vagrantfile): Node.js 20, infra/install.sh from the synced checkout, then
# `shoal cluster init --systemd` on the first manager (which writes the join tokens to the synced
# infra/vagrant/.cluster/) or `shoal cluster join --systemd` with those tokens on the others.
# Usage: provision.sh NAME manager|worker ADDRESS FIRST_MANAGER_ADDRESS init|join
# Environment (from the Vagrantfile): SHOAL_NODE20; SHOAL_CLUSTER_DIR, the tokens' folder relative to the
# checkout (default infra/vagrant/.cluster); SHOAL_TARBALL, a built tree's .tar.gz relative to the checkout
# to install from instead of the checkout itself (one file read over the synced folder, not thousands).
set -euo pipefail
name=$1 role=$2 addr=$3 first=$4 action=$5
repo=/shoal
shared=$repo/${SHOAL_CLUSTER_DIR:-infra/vagrant/.cluster}

node_ok() { command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; }
if ! node_ok && [ "${SHOAL_NODE20:-nodesource}" = nodesource ]; then
  # Opted in by the Vagrantfile (SHOAL_NODE20=nodesource): NodeSource's signed apt repository for Node.js 20.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /usr/share/keyrings/nodesource.gpg
  echo "deb [signed-by=/usr/share/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
  apt-get update -qq
fi
if [ -n "${SHOAL_TARBALL:-}" ]; then
  # Copied to the VM's disk first: install.sh unpacks it, and gunzip reading over 9p would be slower.
  cp "$repo/$SHOAL_TARBALL" /tmp/shoal-provision.tar.gz
  SHOAL_NODE_FROM_APT=1 bash "$repo/infra/install.sh" --from /tmp/shoal-provision.tar.gz
  rm -f /tmp/shoal-provision.tar.gz
else
  SHOAL_NODE_FROM_APT=1 bash "$repo/infra/install.sh"
fi

if systemctl is-active --quiet shoal-agent.service; then
  echo "provision: $name already runs Shoal"
  exit 0
fi
mkdir -p "$shared"
if [ "$action" = init ]; then
  rm -f "$shared"/*.token
  out=$(shoal cluster init --systemd --advertise-addr "$addr")
  echo "$out"
  grep -o -- '--token [^ ]*' <<<"$out" | sed -n 1p | cut -d' ' -f2 >"$shared/worker.token.tmp"
  grep -o -- '--token [^ ]*' <<<"$out" | sed -n 2p | cut -d' ' -f2 >"$shared/manager.token.tmp"
  mv "$shared/worker.token.tmp" "$shared/worker.token"
  mv "$shared/manager.token.tmp" "$shared/manager.token"
else
  token_file=$shared/$role.token
  for _ in $(seq 1 300); do [ -s "$token_file" ] && break; sleep 1; done
  [ -s "$token_file" ] || { echo "provision: no $token_file after 5 minutes; provision the first manager first (vagrant up --no-parallel)" >&2; exit 1; }
  shoal cluster join --systemd --token "$(cat "$token_file")" --advertise-addr "$addr" "$first:7070"
fi
# What the end-to-end suite's vagrant target reads: one line per node.
echo "$name $role $addr" >"$shared/node-$name"
