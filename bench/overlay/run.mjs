#!/usr/bin/env node
// Over 400 lines: one benchmark script that must clean up after itself from one place; its parts (setup of
// the namespaces, the trials, the report and chart) run in one order over one shared set of names.
// Overlay data path: TCP throughput and round trip between two tasks on a VXLAN overlay network of
// libs/overlay, against the same two "nodes" talking over their plain underlay. The nodes are network
// namespaces joined by a veth; every namespace, link and address lives inside namespaces this run makes, named
// with one prefix, and is removed at exit (also on errors, Ctrl-C and SIGTERM). Run as root. See
// bench/overlay/README.md.
//
//   npm run bench:overlay -- [--trials 3] [--seconds 5] [--pings 200] [--underlay-mtu 1500]
import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { macOf, openVxlanOverlay, runCommand } from "../../libs/overlay/dist/index.js";
import { parseIperf } from "../lib/iperf.mjs";

const { values: args } = parseArgs({
  options: {
    trials: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    pings: { type: "string", default: "200" },
    "underlay-mtu": { type: "string", default: "1500" },
  },
});
const TRIALS = Number(args.trials);
const SECONDS = Number(args.seconds);
const PINGS = Number(args.pings);
const UNDERLAY_MTU = Number(args["underlay-mtu"]);
if (
  ![TRIALS, SECONDS, PINGS].every((n) => Number.isInteger(n) && n > 0) ||
  !(Number.isInteger(UNDERLAY_MTU) && UNDERLAY_MTU >= 1280 && UNDERLAY_MTU <= 65535)
) {
  console.error(
    "bench: --trials, --seconds and --pings take positive integers, --underlay-mtu an integer from 1280 to 65535",
  );
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (it makes network namespaces, veths and VXLAN devices)");
  process.exit(2);
}
const PORT = 5201;
const iperfArgs = (server, seconds = SECONDS) => [
  "iperf3",
  "-c",
  server,
  "-p",
  String(PORT),
  "-t",
  String(seconds),
  "-J",
];
const pingArgs = (server) => ["ping", "-c", String(PINGS), "-i", "0.005", server];

// ---- processes: every child is tracked so that clean-up can stop it ----
const children = new Set();

/** Runs `argv` and resolves with its stdout when it exits 0; rejects with its stderr otherwise. */
function run(argv, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      children.delete(child);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${argv.join(" ")} failed (${signal ?? `exit ${code}`}): ${(err || out).trim().slice(0, 500)}`),
        );
    });
  });
}

/** Runs `argv` inside the netns `ns` (an `ip netns` name). */
const inNs = (ns, argv, options) => run(["ip", "netns", "exec", ns, ...argv], options);

/** Starts an iperf3 server in `ns` and resolves once it listens. */
function startIperfServer(ns) {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, "iperf3", "-s", "-p", String(PORT), "--forceflush"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("Server listening")) resolve(child);
    });
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      children.delete(child);
      reject(new Error(`iperf3 server in ${ns} exited (${code}): ${out.trim()}`));
    });
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("close", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// ---- the two nodes and the overlay ----
const id = `sbov${randomBytes(2).toString("hex")}`;
const nodeA = `${id}A`;
const nodeB = `${id}B`;
const taskA = `${id}ta`;
const taskB = `${id}tb`;
const taskA2 = `${id}ta2`;
const overlays = [];

let cleaning;
let interrupted = false;
function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map(stopChild));
    for (const o of overlays) await o.teardown().catch((e) => console.error(`bench: overlay teardown: ${e.message}`));
    // Whatever is left with this run's prefix: the nodes, the tasks, the overlay networks' namespaces (deleting a
    // namespace deletes its veths and VXLAN devices).
    const list = await run(["ip", "netns", "list"]).catch(() => "");
    for (const name of list.split("\n").map((l) => l.split(" ")[0] ?? "")) {
      if (name.startsWith(id))
        await run(["ip", "netns", "del", name]).catch((e) => console.error(`bench: ${e.message}`));
    }
  })();
  return cleaning;
}
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`bench: ${signal}: removing the namespaces of ${id}`);
    void cleanup().finally(() => process.exit(code));
  });
}

/** Every IPv4 address and route of the host, to pick test subnets that touch none of them. */
async function hostNets() {
  return (await run(["ip", "-4", "route", "show", "table", "all"])) + (await run(["ip", "-4", "-o", "addr", "show"]));
}

/** A prefix such as "172.23.9." (underlay) or "10.143.7." (overlay) that no host route or address mentions. */
function freePrefix(used, first, pick) {
  for (;;) {
    const prefix = `${first}.${pick()}.${randomInt(256)}.`;
    if (!used.includes(prefix)) return prefix;
  }
}

/** Runs a node's commands inside its netns (nsenter changes the netns only, so `ip netns add` stays visible). */
const inNode = (node) => (file, argv, options) =>
  runCommand("nsenter", [`--net=/run/netns/${node}`, file, ...argv], options);

async function setUp() {
  const used = await hostNets();
  const under = freePrefix(used, "172", () => 16 + randomInt(16));
  const [ua, ub] = [`${under}1`, `${under}2`];
  const net = freePrefix(used, "10", () => 100 + randomInt(100));
  const [ipA, ipB, ipA2] = [`${net}2`, `${net}3`, `${net}4`];
  for (const ns of [nodeA, nodeB, taskA, taskB, taskA2]) {
    await run(["ip", "netns", "add", ns]);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
  await run(["ip", "-n", nodeA, "link", "add", "under0", "type", "veth", "peer", "name", "under0", "netns", nodeB]);
  for (const [ns, addr] of [
    [nodeA, ua],
    [nodeB, ub],
  ]) {
    await run(["ip", "-n", ns, "addr", "add", `${addr}/30`, "dev", "under0"]);
    // The overlay's MTU follows: openVxlanOverlay gives its devices the underlay's MTU minus the VXLAN header.
    await run(["ip", "-n", ns, "link", "set", "under0", "mtu", String(UNDERLAY_MTU), "up"]);
  }
  const network = { id: "benchnet", vni: 4096 + randomInt(10000), subnet: `${net}0/24`, gateway: `${net}1` };
  const A = openVxlanOverlay({
    underlayAddress: ua,
    netnsPrefix: `${id}A-`,
    vipTable: "shoal_bench_vip",
    exec: inNode(nodeA),
  });
  const B = openVxlanOverlay({
    underlayAddress: ub,
    netnsPrefix: `${id}B-`,
    vipTable: "shoal_bench_vip",
    exec: inNode(nodeB),
  });
  overlays.push(A, B);
  const attach = (netns, address) => ({ networkId: network.id, netns, address });
  const remote = (address, nodeAddress) => ({ networkId: network.id, address, mac: macOf(address), nodeAddress });
  // Node A holds two tasks (the second one measures the same-node bridge path), node B one.
  await A.reconcile({
    networks: [network],
    attachments: [attach(taskA, ipA), attach(taskA2, ipA2)],
    remotes: [remote(ipB, ub)],
    vips: [],
  });
  await B.reconcile({
    networks: [network],
    attachments: [attach(taskB, ipB)],
    remotes: [remote(ipA, ua), remote(ipA2, ua)],
    vips: [],
  });
  await inNs(nodeA, ["ping", "-c", "1", "-W", "2", ub]);
  await inNs(taskA, ["ping", "-c", "1", "-W", "2", ipB]);
  await inNs(taskA, ["ping", "-c", "1", "-W", "2", ipA2]);
  return {
    underlay: { a: ua, b: ub },
    overlay: { subnet: network.subnet, vni: network.vni, a: ipA, b: ipB },
    paths: {
      direct: { client: nodeA, server: nodeB, address: ub },
      overlay: { client: taskA, server: taskB, address: ipB },
      bridge: { client: taskA, server: taskA2, address: ipA2 },
    },
  };
}

// ---- measurement ----
/**
 * The paths, measured in turn in every trial. direct: node A to node B over the underlay veth. overlay: a task on
 * A to a task on B over the VXLAN network. bridge: two tasks on node A over the same network's bridge, no VXLAN
 * (it splits the overlay's cost into the veth and bridge hops and the VXLAN encapsulation).
 */
const SIDES = ["direct", "overlay", "bridge"];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One iperf3 TCP run from the path's client to its server. */
async function throughput(path, seconds = SECONDS) {
  const { bitsPerSecond, ...rest } = parseIperf(
    await inNs(path.client, iperfArgs(path.address, seconds), { timeoutMs: (seconds + 30) * 1000 }),
  );
  return { gbps: bitsPerSecond / 1e9, ...rest };
}

/** One ping run: every reply's round trip in ms, their average and median, and the loss. */
async function roundTrip(path) {
  const out = await inNs(path.client, pingArgs(path.address), { timeoutMs: 60_000 });
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  const loss = Number(/([\d.]+)% packet loss/.exec(out)?.[1]);
  if (times.length === 0) throw new Error(`ping to ${path.address} got no reply:\n${out}`);
  return {
    avgMs: mean(times),
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    lossPct: loss,
    replies: times.length,
  };
}

const OFFLOADS = [
  "tcp-segmentation-offload",
  "generic-segmentation-offload",
  "generic-receive-offload",
  "tx-udp_tnl-segmentation",
  "tx-checksumming",
  "rx-checksumming",
];

/** What explains a gap: the links' MTUs and segmentation limits on both paths (ip -d link). */
async function linkFacts(env) {
  const link = async (ns, dev) => {
    const [l] = JSON.parse(await run(["ip", "-n", ns, "-d", "-j", "link", "show", "dev", dev]));
    const facts = {
      ns,
      dev,
      mtu: l.mtu,
      kind: l.linkinfo?.info_kind,
      gsoMaxSize: l.gso_max_size,
      gsoMaxSegs: l.gso_max_segs,
      groMaxSize: l.gro_max_size,
    };
    // The offloads that decide whether VXLAN packets cross the veths as 64 KiB GSO packets, when ethtool is here.
    const features = await inNs(ns, ["ethtool", "-k", dev]).catch(() => undefined);
    if (features === undefined) return facts;
    const on = (name) => new RegExp(`^\\s*${name}: on`, "m").test(features);
    return { ...facts, offloads: Object.fromEntries(OFFLOADS.map((name) => [name, on(name)])) };
  };
  const facts = [await link(nodeA, "under0"), await link(taskA, "eth1")];
  // The overlay network's own namespace on node A: its bridge, VXLAN device and the task's veth end.
  const nets = (await run(["ip", "netns", "list"]))
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n?.startsWith(`${id}A-`));
  for (const ns of nets) {
    for (const l of JSON.parse(await run(["ip", "-n", ns, "-d", "-j", "link", "show"]))) {
      if (l.ifname !== "lo") facts.push(await link(ns, l.ifname));
    }
  }
  return { underlay: env.underlay, overlay: env.overlay, links: facts };
}

const started = new Date();
const results = {
  started,
  node: process.version,
  kernel: release(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  trials: TRIALS,
  seconds: SECONDS,
  pings: PINGS,
  underlayMtu: UNDERLAY_MTU,
  prefix: id,
  // Other work on the machine moves these figures: its 1-minute load before and after the run.
  loadBefore: loadavg()[0],
};
let failed = false;
try {
  const env = await setUp();
  console.error(
    `bench: prefix ${id}; underlay ${env.underlay.a} - ${env.underlay.b}; overlay ${env.overlay.subnet} (VNI ${env.overlay.vni}) ${env.overlay.a} - ${env.overlay.b}`,
  );
  results.setup = await linkFacts(env);
  await startIperfServer(nodeB);
  await startIperfServer(taskB);
  await startIperfServer(taskA2);
  // Untimed warm-up of every path (neighbour caches, first-use code paths).
  for (const side of SIDES) await throughput(env.paths[side], 1);

  const runs = Object.fromEntries(SIDES.map((side) => [side, { throughput: [], ping: [] }]));
  for (let t = 0; t < TRIALS; t++) {
    for (const side of SIDES) {
      const r = await throughput(env.paths[side]);
      runs[side].throughput.push(r);
      console.error(
        `bench: ${side} iperf3 trial ${t + 1}: ${r.gbps.toFixed(2)} Gbit/s, mean_rtt ${r.meanRttUs} us, ${r.retransmits} retransmits, CPU sender ${r.cpuSenderPct.toFixed(0)}% receiver ${r.cpuReceiverPct.toFixed(0)}%`,
      );
    }
  }
  for (let t = 0; t < TRIALS; t++) {
    for (const side of SIDES) {
      const r = await roundTrip(env.paths[side]);
      runs[side].ping.push(r);
      console.error(
        `bench: ${side} ping trial ${t + 1}: avg ${r.avgMs.toFixed(3)} ms, median ${r.medianMs.toFixed(3)} ms, loss ${r.lossPct}%`,
      );
    }
  }
  const summary = (side) => ({
    gbps: median(runs[side].throughput.map((r) => r.gbps)),
    meanRttUs: median(runs[side].throughput.map((r) => r.meanRttUs)),
    retransmits: median(runs[side].throughput.map((r) => r.retransmits)),
    cpuSenderPct: median(runs[side].throughput.map((r) => r.cpuSenderPct)),
    cpuReceiverPct: median(runs[side].throughput.map((r) => r.cpuReceiverPct)),
    pingAvgMs: median(runs[side].ping.map((r) => r.avgMs)),
    pingMedianMs: median(runs[side].ping.map((r) => r.medianMs)),
    runs: runs[side],
  });
  for (const side of SIDES) results[side] = summary(side);
} catch (e) {
  failed = true;
  results.error = e.message;
  // An interrupted run's clients die with it: the signal handler reports and exits.
  if (!interrupted) console.error(`bench: ${e.stack ?? e.message}`);
} finally {
  await cleanup();
}

results.loadAfter = loadavg()[0];

// ---- output ----
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const d = results.direct;
const o = results.overlay;
const b = results.bridge;
if (d && o && b) {
  results.ratios = {
    throughput: o.gbps / d.gbps,
    pingAvg: o.pingAvgMs / d.pingAvgMs,
    pingMedian: o.pingMedianMs / d.pingMedianMs,
    iperfMeanRtt: o.meanRttUs / d.meanRttUs,
  };
  const r = results.ratios;
  const row = (what, key, digits, goal = "") =>
    `| ${what} | ${f(d[key], digits)} | ${f(o[key], digits)} | ${f(o[key] / d[key])} | ${goal} | ${f(b[key], digits)} |`;
  console.log(
    `\nOverlay benchmark, ${started.toISOString().slice(0, 10)}, ${cpus().length} cores (${results.cpuModel}), kernel ${results.kernel}, two nodes as netns joined by a veth`,
  );
  console.log(
    `commands (from the client's netns): ${iperfArgs("<server>").join(" ")}   and   ${pingArgs("<server>").join(" ")}`,
  );
  console.log(
    `medians of ${TRIALS} trials each, the paths interleaved; load average ${f(results.loadBefore)} before, ${f(results.loadAfter)} after\n`,
  );
  console.log(
    "| measure | direct (underlay veth) | overlay (VXLAN, two nodes) | overlay/direct | goal | same-node bridge (no VXLAN) |",
  );
  console.log("|---|---|---|---|---|---|");
  console.log(row("TCP throughput, Gbit/s", "gbps", 2, ">= 0.9"));
  console.log(row("ping RTT avg, ms", "pingAvgMs", 3, "<= 1.2"));
  console.log(row("ping RTT median, ms", "pingMedianMs", 3, "<= 1.2"));
  console.log(row("iperf3 mean_rtt under load, us", "meanRttUs", 0));
  console.log(row("TCP retransmits per run", "retransmits", 0));
  console.log(row("CPU sender, %", "cpuSenderPct", 0));
  console.log(row("CPU receiver, %", "cpuReceiverPct", 0));
  const met = r.throughput >= 0.9 && r.pingMedian <= 1.2;
  console.log(`\ngoal (throughput ratio >= 0.9, RTT ratio <= 1.2): ${met ? "met" : "NOT met"}`);
  for (const l of results.setup.links) {
    const off = l.offloads
      ? `; offloads on: ${
          Object.keys(l.offloads)
            .filter((k) => l.offloads[k])
            .join(", ") || "none"
        }`
      : "";
    console.log(
      `link ${l.ns} ${l.dev}${l.kind ? ` (${l.kind})` : ""}: mtu ${l.mtu}, gso_max_size ${l.gsoMaxSize}, gro_max_size ${l.groMaxSize}${off}`,
    );
  }
}
const resultsDir = new URL("../results/", import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `overlay-${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`bench: results written to ${file}`);
process.exit(failed ? 1 : 0);
