// A three-member etcd cluster on loopback for bench/raft, plain or with TLS between peers and towards clients.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts } from "../../libs/raft/dist/testing/index.js";

/**
 * Starts etcd e1..e3 snapshotting every `snapshotEntries` entries and waits for a leader. With `certs` (from
 * certs.mjs) every URL is https: peers present and require certificates of the bench CA
 * (`--peer-client-cert-auth`), and so do clients (`--client-cert-auth`). `cleanups` receives what undoes it.
 */
export async function startEtcd({ snapshotEntries, certs, cleanups }) {
  const root = mkdtempSync(join(tmpdir(), "shoal-bench-etcd-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const scheme = certs ? "https" : "http";
  const ports = await freePorts(6);
  const members = [0, 1, 2].map((i) => ({
    name: `e${i + 1}`,
    client: `${scheme}://127.0.0.1:${ports[2 * i]}`,
    peer: `${scheme}://127.0.0.1:${ports[2 * i + 1]}`,
    dir: join(root, `e${i + 1}`),
    tls: certs
      ? [
          ["--cert-file", certs.nodes[i].cert],
          ["--key-file", certs.nodes[i].key],
          ["--client-cert-auth"],
          ["--trusted-ca-file", certs.ca],
          ["--peer-cert-file", certs.nodes[i].cert],
          ["--peer-key-file", certs.nodes[i].key],
          ["--peer-client-cert-auth"],
          ["--peer-trusted-ca-file", certs.ca],
        ].flat()
      : [],
  }));
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const procs = members.map((m) => {
    mkdirSync(m.dir, { recursive: true, mode: 0o700 });
    // prettier-ignore
    const p = spawn("etcd", [
      "--name", m.name, "--data-dir", m.dir,
      "--listen-client-urls", m.client, "--advertise-client-urls", m.client,
      "--listen-peer-urls", m.peer, "--initial-advertise-peer-urls", m.peer,
      "--initial-cluster", initial, "--initial-cluster-token", "bench", "--initial-cluster-state", "new",
      "--snapshot-count", String(snapshotEntries), "--logger", "zap", "--log-level", "error",
      ...m.tls,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
    p.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(`bench: etcd ${m.name} exited ${code}: ${err}`);
    });
    cleanups.push(() => p.kill("SIGKILL"));
    return p;
  });
  const endpoints = members.map((m) => m.client).join(",");
  const ctlTls = certs ? ["--cacert", certs.ca, "--cert", certs.client.cert, "--key", certs.client.key] : [];
  // Wait until a leader is elected: etcdctl answers with the leader's member id once there is one.
  let status;
  for (let i = 0; ; i++) {
    try {
      status = JSON.parse(
        execFileSync("etcdctl", ["--endpoints", endpoints, ...ctlTls, "endpoint", "status", "-w", "json"], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
          env: { ...process.env, ETCDCTL_API: "3" },
        }),
      );
      if (status.length === 3 && status.every((s) => s.Status.leader !== "0" && s.Status.leader !== 0)) break;
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error("bench: the etcd cluster did not elect a leader within 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const leaderIdx = status.findIndex((s) => String(s.Status.header.member_id) === String(s.Status.leader));
  return { members, procs, leaderIdx: Math.max(0, leaderIdx), stop: () => procs.forEach((p) => p.kill("SIGKILL")) };
}
