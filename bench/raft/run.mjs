#!/usr/bin/env node
// Shoal's Raft (three key-value server processes) against a three-member etcd cluster, in one run on one
// machine: closed-loop writers, writes/s, p50/p99 commit latency, server memory. See bench/raft/README.md.
//
//   npm run bench:raft -- [--clients 1,50,500] [--seconds 10] [--warmup 2] [--value-bytes 256] [--only shoal|etcd]
//                         [--plain-storage]
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Etcd3 } from "etcd3";
import { freePorts, startKvCluster } from "../../libs/raft/dist/testing/index.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "1,50,500" },
    seconds: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    "value-bytes": { type: "string", default: "256" },
    only: { type: "string" },
    profile: { type: "string" },
    "plain-storage": { type: "boolean", default: false },
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
async function benchShoal() {
  // --profile DIR: CPU profiles of the three servers (written when they stop cleanly at the end).
  const nodeArgs = args.profile ? ["--cpu-prof", "--cpu-prof-dir", args.profile] : [];
  const cluster = await startKvCluster({
    size: 3,
    tickMs: 100,
    snapshotEntries: SNAPSHOT_ENTRIES,
    nodeArgs,
    plainStorage: args["plain-storage"],
  });
  cleanups.push(() => cluster.destroySync());
  try {
    const leader = await cluster.waitForLeader();
    const order = [leader, ...cluster.ids.filter((id) => id !== leader)];
    const base = new URL(cluster.member(leader).url);
    const results = [];
    for (const clients of CLIENTS) {
      const agent = new Agent({ keepAlive: true, maxSockets: clients });
      const put = (key, value) =>
        new Promise((resolve, reject) => {
          const req = request(
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
      report("shoal", results.at(-1));
    }
    return results;
  } finally {
    if (args.profile) await Promise.all(cluster.ids.map((id) => cluster.stopMember(id)));
    await cluster.destroy();
  }
}

// ---- etcd ----
async function startEtcd() {
  const root = mkdtempSync(join(tmpdir(), "shoal-bench-etcd-"));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const ports = await freePorts(6);
  const members = [0, 1, 2].map((i) => ({
    name: `e${i + 1}`,
    client: `http://127.0.0.1:${ports[2 * i]}`,
    peer: `http://127.0.0.1:${ports[2 * i + 1]}`,
    dir: join(root, `e${i + 1}`),
  }));
  const initial = members.map((m) => `${m.name}=${m.peer}`).join(",");
  const procs = members.map((m) => {
    mkdirSync(m.dir, { recursive: true, mode: 0o700 });
    const p = spawn(
      "etcd",
      [
        "--name",
        m.name,
        "--data-dir",
        m.dir,
        "--listen-client-urls",
        m.client,
        "--advertise-client-urls",
        m.client,
        "--listen-peer-urls",
        m.peer,
        "--initial-advertise-peer-urls",
        m.peer,
        "--initial-cluster",
        initial,
        "--initial-cluster-token",
        "bench",
        "--initial-cluster-state",
        "new",
        "--snapshot-count",
        String(SNAPSHOT_ENTRIES),
        "--logger",
        "zap",
        "--log-level",
        "error",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
    p.on("exit", (code) => {
      if (code !== null && code !== 0) console.error(`bench: etcd ${m.name} exited ${code}: ${err}`);
    });
    cleanups.push(() => p.kill("SIGKILL"));
    return p;
  });
  const endpoints = members.map((m) => m.client).join(",");
  // Wait until a leader is elected: etcdctl answers with the leader's member id once there is one.
  let status;
  for (let i = 0; ; i++) {
    try {
      status = JSON.parse(
        execFileSync("etcdctl", ["--endpoints", endpoints, "endpoint", "status", "-w", "json"], {
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

async function benchEtcd() {
  const etcd = await startEtcd();
  try {
    const leader = etcd.members[etcd.leaderIdx];
    const order = [etcd.leaderIdx, ...[0, 1, 2].filter((i) => i !== etcd.leaderIdx)];
    const results = [];
    for (const clients of CLIENTS) {
      // Writers talk to the leader, as Shoal's do: the same path for both systems.
      const client = new Etcd3({ hosts: leader.client });
      const put = (key, value) => client.put(key).value(value).exec();
      results.push(await runLoad(clients, put, () => order.map((i) => etcd.procs[i].pid)));
      client.close();
      report("etcd", results.at(-1));
    }
    return results;
  } finally {
    etcd.stop();
  }
}

// ---- output ----
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : "-");
function report(system, r) {
  console.log(
    `bench: ${system} ${r.clients} clients: ${fmt(r.writesPerSec)} writes/s, p50 ${fmt(r.p50Ms, 2)} ms, ` +
      `p99 ${fmt(r.p99Ms, 2)} ms, RSS leader ${fmt(r.rssLeaderMiB)} MiB / total ${fmt(r.rssTotalMiB)} MiB, ` +
      `server CPU ${r.serverCpuCores.map((c) => fmt(c, 2)).join("/")} cores, generator CPU ${fmt(r.generatorCpuCores, 2)}` +
      (r.errors ? `, ${r.errors} errors` : ""),
  );
}

function table(shoal, etcd) {
  const rows = [["system", "clients", "writes/s", "p50 ms", "p99 ms", "RSS leader MiB", "RSS total MiB"]];
  const add = (name, rs) =>
    rs.forEach((r) =>
      rows.push([
        name,
        String(r.clients),
        fmt(r.writesPerSec),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
        fmt(r.rssLeaderMiB),
        fmt(r.rssTotalMiB),
      ]),
    );
  add("shoal", shoal);
  add("etcd", etcd);
  if (shoal.length && etcd.length) {
    shoal.forEach((s, i) => {
      const e = etcd[i];
      if (!e) return;
      rows.push([
        "shoal/etcd",
        String(s.clients),
        fmt(s.writesPerSec / e.writesPerSec, 2),
        fmt(s.p50Ms / e.p50Ms, 2),
        fmt(s.p99Ms / e.p99Ms, 2),
        fmt(s.rssLeaderMiB / e.rssLeaderMiB, 2),
        fmt(s.rssTotalMiB / e.rssTotalMiB, 2),
      ]);
    });
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((x, c) => (c < 2 ? x.padEnd(w[c]) : x.padStart(w[c]))).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${w.map((n, c) => (c < 2 ? `-${"-".repeat(n)}-` : `-${"-".repeat(n)}:`)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

const started = new Date();
const shoal = args.only === "etcd" ? [] : await benchShoal();
const etcd = args.only === "shoal" ? [] : await benchEtcd();
console.log(`\n${table(shoal, etcd)}\n`);
const resultsDir = new URL("../results/", import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `raft-${started.toISOString().replace(/[:.]/g, "-")}.json`);
const etcdVersion = (() => {
  try {
    return execFileSync("etcd", ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    return "unknown";
  }
})();
writeFileSync(
  file,
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
      shoal,
      etcd,
    },
    null,
    2,
  ),
);
console.log(`bench: results written to ${file}`);
cleanupSync();
process.exit(0);
