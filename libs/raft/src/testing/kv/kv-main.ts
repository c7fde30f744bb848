/**
 * A key-value server process on one Raft node, for multi-process tests and the benchmark.
 *
 *   node kv-main.js --id 1 --data-dir DIR --raft 127.0.0.1:7101 --http 127.0.0.1:7201 \
 *        --peers 1=127.0.0.1:7101,2=127.0.0.1:7102,3=127.0.0.1:7103 [--cluster-id kv] [--tick-ms 100]
 *
 * Prints one JSON line {"ready":true,...} on stdout once serving, then {"event":"leader","leader":id,"term":t}
 * whenever the known leader changes (0 = none); exits on SIGTERM after stopping cleanly.
 *
 * Its storage seals records with AES-GCM as a manager's does, so the benchmark measures that path; the key is
 * derived from the cluster id (a test tool: it measures the cost, it protects nothing). `--plain-storage` turns
 * sealing off, for a comparison.
 *
 * `--tls-dir DIR` (files `ca.pem`, `n<id>.pem` with the chain, `n<id>-key.pem`, and `--tls-cluster ID`, the
 * Shoal cluster id the certificates name): Raft peers talk mutual TLS (`tlsSockets` of @shoal/trust; the
 * membership records Raft member i as node `n<i>`, whose manager certificate it must present) and the HTTP front end is HTTPS requiring a client
 * certificate of the same CA, unless `--plain-http` (TLS between the peers only).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TlsOptions } from "node:tls";
import { parseArgs } from "node:util";
import { type RaftTlsSockets, serverTlsOptions, splitPemCertificates, tlsSockets } from "@shoal/trust";
import { openRaftNode } from "../../node/open.js";
import { AesGcmRecordCipher, PLAIN_RECORDS } from "../../storage/record-cipher.js";
import { KvStateMachine } from "./kv-state-machine.js";
import { startKvServer } from "./kv-server.js";

function hostPort(s: string, flag: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`kv: --${flag} must be host:port, got "${s}"`);
  }
  return { host: s.slice(0, i), port };
}

/** The TLS material of member `id` in `dir`: Raft sockets and the HTTPS server's options. */
function readTls(dir: string, id: number, clusterId: string): { sockets: RaftTlsSockets; https: TlsOptions } {
  const trust = splitPemCertificates(readFileSync(join(dir, "ca.pem"), "utf8"));
  const chain = splitPemCertificates(readFileSync(join(dir, `n${id}.pem`), "utf8"));
  const key = readFileSync(join(dir, `n${id}-key.pem`), "utf8");
  return {
    sockets: tlsSockets({ clusterId, material: { chain, key, trust } }),
    https: serverTlsOptions({ chain, key, trust, clientCertificates: "require" }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: "string" },
      "data-dir": { type: "string" },
      raft: { type: "string" },
      http: { type: "string" },
      peers: { type: "string" },
      "cluster-id": { type: "string", default: "kv" },
      "tick-ms": { type: "string", default: "100" },
      "snapshot-entries": { type: "string", default: "10000" },
      "plain-storage": { type: "boolean", default: false },
      "tls-dir": { type: "string" },
      "tls-cluster": { type: "string", default: "kv" },
      "plain-http": { type: "boolean", default: false },
    },
  });
  const id = Number(values.id);
  if (!Number.isInteger(id) || id <= 0) throw new Error("kv: --id must be a positive integer");
  if (!values["data-dir"] || !values.raft || !values.http || !values.peers) {
    throw new Error("kv: --data-dir, --raft, --http and --peers are required");
  }
  const raft = hostPort(values.raft, "raft");
  const http = hostPort(values.http, "http");
  const peers = values.peers.split(",").map((p) => {
    const [pid, addr] = p.split("=");
    return { id: Number(pid), address: addr ?? "", nodeId: `n${pid}` };
  });
  const key = createHash("sha256").update(`shoal-kv-test-key:${values["cluster-id"]}`).digest();
  const cipher = values["plain-storage"] ? PLAIN_RECORDS : new AesGcmRecordCipher({ keyId: "kv-test", key });
  const tls = values["tls-dir"] === undefined ? undefined : readTls(values["tls-dir"], id, values["tls-cluster"]);
  const sm = new KvStateMachine();
  const node = await openRaftNode({
    dataDir: values["data-dir"],
    id,
    clusterId: values["cluster-id"],
    listen: raft,
    stateMachine: sm,
    bootstrap: peers,
    nodeId: `n${id}`,
    tickMs: Number(values["tick-ms"]),
    snapshotEntries: Number(values["snapshot-entries"]),
    storageOptions: { cipher },
    ...(tls ? { transport: { sockets: tls.sockets } } : {}),
    log: (level, msg, fields) => {
      if (level !== "debug") process.stderr.write(`${JSON.stringify({ level, msg, id, ...fields })}\n`);
    },
  });
  const server = await startKvServer(node, sm, http.host, http.port, values["plain-http"] ? undefined : tls?.https);
  // Leadership changes as JSON lines, so a harness can await elections instead of polling.
  node.onLeaderChange((c) => {
    process.stdout.write(`${JSON.stringify({ event: "leader", id, leader: c.leader, term: c.term })}\n`);
  });
  const first = node.leader();
  process.stdout.write(`${JSON.stringify({ ready: true, id, pid: process.pid, leader: first.id })}\n`);
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void node.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
