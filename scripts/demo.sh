#!/usr/bin/env bash
# Sets everything up (system packages, npm ci, build, the busybox image) and runs the main job: a one-node
# Shoal cluster with a 3-replica web service (busybox httpd) published on port 8080. Run as root on Debian 12
# with Node 20. Safe to run again: an existing cluster is reused and the demo service is recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node infra/images/build-busybox.mjs --out infra/images/out/busybox-oci.tar >/dev/null

shoal() { node apps/cli/bin/shoal.mjs "$@"; }
PORT="${SHOAL_DEMO_PORT:-8080}"

if shoal node ls >/dev/null 2>&1; then
  echo "demo: a cluster is already running on this machine; reusing it"
else
  shoal cluster init --advertise-addr 127.0.0.1
fi
shoal image load -i infra/images/out/busybox-oci.tar
shoal service rm demo >/dev/null 2>&1 || true

# Each replica serves a page naming its own container ($(hostname) expands inside the container, not here).
# shellcheck disable=SC2016
shoal service create --name demo --replicas 3 -p "$PORT:80" busybox:latest \
  sh -c 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'
echo
shoal service ls
echo
shoal service ps demo
echo
echo "demo: three requests to the published port, balanced over the replicas:"
for _ in 1 2 3; do
  node -e 'fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write("  " + t))' "http://127.0.0.1:$PORT/"
done
cat <<EOT

demo: see it yourself:
  node apps/cli/bin/shoal.mjs service ps demo          # the tasks, their node and state
  curl http://127.0.0.1:$PORT/                           # a replica answers on the published port
  node apps/cli/bin/shoal.mjs service scale demo=5     # more replicas
  open https://127.0.0.1:7070/                           # the web dashboard (live state; scale, drain, logs)
  cat /var/lib/shoal/admin/access-token                  # ...signs in to it (user root, an admin)
  open https://127.0.0.1:7070/docs                       # the REST API (Swagger UI)
  cd /var/lib/shoal/admin && curl --cacert ca.pem --cert cert.pem --key key.pem https://127.0.0.1:7070/v1/info
  # The API is HTTPS with the cluster's own CA, and every route but the join wants a credential: the CLI as
  # root on this node uses the manager's local socket; elsewhere, the admin bundle in /var/lib/shoal/admin
  # (SHOAL_CERT_PATH=DIR). A browser warns until you import the root, /var/lib/shoal/admin/ca.pem, as a
  # trusted authority (or accept the warning once).
  node apps/cli/bin/shoal.mjs cluster leave --force    # stop and remove the cluster
EOT
