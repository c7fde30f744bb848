#!/usr/bin/env node
// Shoal's Raft (three key-value server processes) against a three-member etcd cluster, in one run on one
// machine: closed-loop writers, writes/s, p50/p99 commit latency, server memory. See bench/raft/README.md.
//
//   npm run bench:raft -- [--clients 1,50,500] [--seconds 10] [--warmup 2] [--value-bytes 256] [--only shoal|etcd]
//                         [--plain-storage] [--tls] [--svg FILE]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Etcd3 } from "etcd3";
import { startKvCluster } from "../../libs/raft/dist/testing/index.js";
import { BENCH_CLUSTER, writeBenchCertificates } from "./certs.mjs";
import { startEtcd } from "./etcd.mjs";
import { report, table, tlsChart } from "./report.mjs";
const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "1,50,500" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    "value-bytes": { type: "string", default: "256" },
    only: { type: "string" },
    profile: { type: "string" },
    "plain-storage": { type: "boolean", default: false },
    tls: { type: "boolean", default: false },
    svg: { type: "string" },
  },
});
const CLIENTS = args.clients.split(",").map(Number);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const VALUE = "x".repeat(Number(args["value-bytes"]));
// Both systems snapshot every this many applied entries: etcd's default --snapshot-count.
const SNAPSHOT_ENTRIES = 100_000;
if (CLIENTS.some((c) => !Number.isInteger(c) || c <= 0) || !(SECONDS > 0) || !(WARMUP >= 0)) {
  console.error("bench: --clients takes positive integers (1,50,500); --seconds and --warmup take numbers");
  process.exit(2);
}
if (args.only !== undefined && args.only !== "shoal" && args.only !== "etcd") {
  console.error(`bench: --only takes shoal or etcd, got "${args.only}"`);
  process.exit(2);
}

// ---- cleanup of everything the run creates, also on errors and Ctrl-C ----
const cleanups = [];
const cleanupSync = () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort on the way out
    }
  }
};
process.on("exit", cleanupSync);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

// ---- measurement ----
function rssKiB(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
  } catch {
    return 0;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `clients` closed-loop writers calling `put(key, value)` for the warm-up, then measures for SECONDS.
 * `pids()` lists the server processes (leader first) whose memory and CPU are sampled.
 */
async function runLoad(clients, put, pids) {
  let measuring = false;
  let stop = false;
  const lat = [];
  let errors = 0;
  let seq = 0;
  const loop = async (c) => {
    while (!stop) {
      const key = `key-${c}-${seq++ % 100_000}`;
      const t = performance.now();
      try {
        await put(key, VALUE);
        if (measuring) lat.push(performance.now() - t);
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const running = Array.from({ length: clients }, (_, c) => loop(c));
  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  const procs = pids();
  const peak = procs.map(() => 0);
  const sample = () => procs.forEach((p, i) => (peak[i] = Math.max(peak[i], rssKiB(p).rss)));
  const cpu0 = procs.map(cpuTicks);
  const self0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  measuring = true;
  const t0 = performance.now();
  const sampler = setInterval(sample, 250);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  sample();
  const cpu = procs.map((p, i) => (cpuTicks(p) - cpu0[i]) / 100 / elapsed);
  const self = process.cpuUsage(self0);
  const elu = performance.eventLoopUtilization(elu0);
  stop = true;
  await Promise.all(running);
  lat.sort((a, b) => a - b);
  return {
    clients,
    writesPerSec: lat.length / elapsed,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    errors,
    rssLeaderMiB: peak[0] / 1024,
    rssTotalMiB: peak.reduce((a, b) => a + b, 0) / 1024,
    serverCpuCores: cpu,
    generatorCpuCores: (self.user + self.system) / 1e6 / elapsed,
    generatorEventLoopUtilization: elu.utilization,
  };
}

// ---- Shoal ----
/**
 * Runs every client count against Shoal's KV servers; with `certs`, mutual TLS between them and HTTPS with client
 * certificates in front, or with `peersOnly` TLS between them and plain HTTP in front.
 */
async function benchShoal(certs, peersOnly = false) {
  const name = !certs ? "shoal" : peersOnly ? "shoal+peer-tls" : "shoal+tls";
  const https = certs && !peersOnly;
  // --profile DIR: CPU profiles of the three servers (written when they stop cleanly at the end).
  const nodeArgs = args.profile ? ["--cpu-prof", "--cpu-prof-dir", args.profile] : [];
  const cluster = await startKvCluster({
    size: 3,
    tickMs: 100,
    snapshotEntries: SNAPSHOT_ENTRIES,
    nodeArgs,
    plainStorage: args["plain-storage"],
    ...(certs ? { tls: { dir: certs.dir, clusterId: BENCH_CLUSTER, peersOnly } } : {}),
  });
  cleanups.push(() => cluster.destroySync());
  try {
    const leader = await cluster.waitForLeader();
    const order = [leader, ...cluster.ids.filter((id) => id !== leader)];
    const base = new URL(cluster.member(leader).url);
    const send = https ? httpsRequest : request;
    const results = [];
    for (const clients of CLIENTS) {
      const agent = https
        ? new HttpsAgent({ keepAlive: true, maxSockets: clients, ...certs.pem })
        : new Agent({ keepAlive: true, maxSockets: clients });
      const put = (key, value) =>
        new Promise((resolve, reject) => {
          const req = send(
            { host: base.hostname, port: base.port, path: `/kv/${key}`, method: "PUT", agent },
            (res) => {
              res.resume();
              res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
            },
          );
          req.on("error", reject);
          req.end(value);
        });
      results.push(await runLoad(clients, put, () => order.map((id) => cluster.member(id).pid)));
      agent.destroy();
      report(name, results.at(-1));
    }
    return results;
  } finally {
    if (args.profile) await Promise.all(cluster.ids.map((id) => cluster.stopMember(id)));
    await cluster.destroy();
  }
}

// ---- etcd ----
/** Runs every client count against etcd; with `certs`, TLS between peers and towards the client, both verified. */
async function benchEtcd(certs) {
  const name = certs ? "etcd+tls" : "etcd";
  const etcd = await startEtcd({ snapshotEntries: SNAPSHOT_ENTRIES, certs, cleanups });
  const credentials = certs && {
    rootCertificate: Buffer.from(certs.pem.ca),
    certChain: Buffer.from(certs.pem.cert),
    privateKey: Buffer.from(certs.pem.key),
  };
  try {
    const leader = etcd.members[etcd.leaderIdx];
    const order = [etcd.leaderIdx, ...[0, 1, 2].filter((i) => i !== etcd.leaderIdx)];
    const results = [];
    for (const clients of CLIENTS) {
      // Writers talk to the leader, as Shoal's do: the same path for both systems.
      const client = new Etcd3({ hosts: leader.client, ...(credentials ? { credentials } : {}) });
      const put = (key, value) => client.put(key).value(value).exec();
      results.push(await runLoad(clients, put, () => order.map((i) => etcd.procs[i].pid)));
      client.close();
      report(name, results.at(-1));
    }
    return results;
  } finally {
    etcd.stop();
  }
}

// ---- the run ----
const started = new Date();
let certs;
if (args.tls) {
  const dir = mkdtempSync(join(tmpdir(), "shoal-bench-certs-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  certs = await writeBenchCertificates(dir, 3);
}
// With --tls, each system runs plain and then with TLS, so every ratio compares runs of the same invocation.
const configs = {};
if (args.only !== "etcd") {
  configs.shoal = await benchShoal(undefined);
  if (certs) configs["shoal+tls"] = await benchShoal(certs);
  if (certs) configs["shoal+peer-tls"] = await benchShoal(certs, true);
}
if (args.only !== "shoal") {
  configs.etcd = await benchEtcd(undefined);
  if (certs) configs["etcd+tls"] = await benchEtcd(certs);
}
const ratios = [
  ["shoal/etcd", "shoal", "etcd"],
  ...(certs
    ? [
        ["shoal/etcd tls", "shoal+tls", "etcd+tls"],
        ["shoal tls/plain", "shoal+tls", "shoal"],
        ["shoal peer-tls/plain", "shoal+peer-tls", "shoal"],
        ["etcd tls/plain", "etcd+tls", "etcd"],
      ]
    : []),
];
console.log(`\n${table(configs, ratios)}\n`);
const resultsDir = new URL("../results/", import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const stem = join(resultsDir, `raft-${started.toISOString().replace(/[:.]/g, "-")}`);
const etcdVersion = (() => {
  try {
    return execFileSync("etcd", ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    return "unknown";
  }
})();
writeFileSync(
  `${stem}.json`,
  JSON.stringify(
    {
      started,
      node: process.version,
      cpus: cpus().length,
      etcdVersion,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      valueBytes: VALUE.length,
      snapshotEntries: SNAPSHOT_ENTRIES,
      tls: args.tls,
      ...configs,
    },
    null,
    2,
  ),
);
console.log(`bench: results written to ${stem}.json`);
if (certs) {
  const svg = tlsChart(configs, { date: started.toISOString().slice(0, 10), seconds: SECONDS });
  writeFileSync(`${stem}.svg`, svg);
  if (args.svg) writeFileSync(args.svg, svg);
  console.log(`bench: chart written to ${stem}.svg${args.svg ? ` and ${args.svg}` : ""}`);
}
cleanupSync();
process.exit(0);
