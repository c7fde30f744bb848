#!/usr/bin/env node
// The overlay data path between two VMs, where a real virtual wire (each VM's virtio NIC, qemu, the host's
// bridge) sits under the VXLAN: TCP throughput and round trip between two tasks of one service on different
// VMs, over Shoal's overlay, against the two VMs talking over their own private network (the direct path),
// interleaved in every trial. It runs on a Vagrant cluster that is up (scripts/test-vagrant.sh --bench brings
// one up and runs this); the cluster's nodes are read from --cluster-dir as the end-to-end suite reads them.
// It removes its service and stops its iperf3 servers at exit, also on errors, Ctrl-C and SIGTERM.
//
//   node bench/overlay-vms/run.mjs --cluster-dir DIR [--trials 3] [--seconds 10] [--pings 100] [--svg FILE]
//   node bench/overlay-vms/run.mjs --from bench/results/overlay-vms-<date>.json [--svg FILE]   (report it again)
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBusyboxTarball } from "../../libs/runtime/dist/testing/index.js";
import { nodeOfTask, overlayAddress, networkId } from "../../test/harness/dist/probe.js";
import { createService, removeService } from "../../test/harness/dist/scenarios.js";
import { sshTarget, vagrantNodes } from "../../test/harness/dist/target.js";
import { parseIperf } from "../lib/iperf.mjs";
import { barPanels } from "../lib/svg.mjs";

const { values: args } = parseArgs({
  options: {
    "cluster-dir": { type: "string" },
    trials: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    pings: { type: "string", default: "100" },
    svg: { type: "string" },
    from: { type: "string" },
  },
});
const TRIALS = Number(args.trials);
const SECONDS = Number(args.seconds);
const PINGS = Number(args.pings);
if ((!args["cluster-dir"] && !args.from) || ![TRIALS, SECONDS, PINGS].every((n) => Number.isInteger(n) && n > 0)) {
  console.error(
    "bench: --cluster-dir DIR (the nodes a Vagrant cluster recorded) is required, or --from FILE (a results file to report again); --trials, --seconds and --pings take positive integers",
  );
  process.exit(2);
}
const PORT = 5201;
const RUNC_ROOT = "/run/shoal/runtime/runc";
const PIDFILE = "/run/shoal-bench-iperf3.pid";

const t = args.from ? undefined : await sshTarget("vagrant", vagrantNodes({ user: "vagrant" }, args["cluster-dir"]));
const service = `bench-ovl-${randomBytes(3).toString("hex")}`;

/** Runs argv on a node; resolves with its stdout, rejects with its output when it fails. */
async function on(node, argv) {
  const r = await node.exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} on ${node.hostname} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

// ---- clean-up: the iperf3 servers (by their pid files) and the service ----
const servers = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const s of servers)
      await s.node.exec(["sh", "-c", `[ -s ${s.pidfile} ] && kill $(cat ${s.pidfile}); rm -f ${s.pidfile}`]);
    await removeService(t, service);
    // The API's connections (the VMs' cluster stays).
    await t?.destroy();
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** An argv that runs in a task's network namespace (nsenter into its init's), or on the VM itself. */
const inNet = (pid, argv) => (pid ? ["nsenter", "-t", String(pid), "-n", ...argv] : argv);

async function throughput(side) {
  const out = await on(
    side.client.node,
    inNet(side.client.pid, ["iperf3", "-c", side.address, "-p", String(PORT), "-t", String(SECONDS), "-J"]),
  );
  const { bitsPerSecond, retransmits, meanRttUs, cpuSenderPct, cpuReceiverPct } = parseIperf(out);
  return { mbps: bitsPerSecond / 1e6, retransmits, meanRttUs, cpuSenderPct, cpuReceiverPct };
}

async function roundTrip(side) {
  const out = await on(
    side.client.node,
    inNet(side.client.pid, ["ping", "-c", String(PINGS), "-i", "0.02", side.address]),
  );
  const times = [...out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length === 0) throw new Error(`ping to ${side.address} got no reply:\n${out}`);
  return { medianMs: median(times), avgMs: times.reduce((a, b) => a + b, 0) / times.length, replies: times.length };
}

/** The MTU of the link that holds `address` in a namespace (the VM's, or a task's). */
async function mtuOf(node, pid, address) {
  const addrs = await on(node, inNet(pid, ["ip", "-o", "-4", "addr", "show"]));
  const dev = addrs
    .split("\n")
    .find((l) => l.includes(` ${address}/`))
    ?.split(/\s+/)[1];
  if (!dev) return undefined;
  return Number(/ mtu (\d+)/.exec(await on(node, inNet(pid, ["ip", "-o", "link", "show", "dev", dev])))?.[1]);
}

async function measure(t) {
  const started = new Date();
  let results;
  try {
    const image = await t.loadImage(await ensureBusyboxTarball());
    const tasks = await createService(t, service, 2, ["--max-replicas", "1", image, "sleep", "3600"]);
    const net = await networkId(t);
    const [a, b] = await Promise.all(
      tasks.map(async (task) => {
        const node = await nodeOfTask(t, task);
        const state = JSON.parse(await on(node, ["runc", "--root", RUNC_ROOT, "state", task.id]));
        return { node, pid: state.pid, overlay: overlayAddress(task, net) };
      }),
    );
    if (a.node.hostname === b.node.hostname)
      throw new Error(`both tasks run on ${a.node.hostname}; the bench needs two VMs`);
    // The servers on B: one on the VM, one in the task's namespace.
    for (const [pid, pidfile] of [
      [undefined, `${PIDFILE}.vm`],
      [b.pid, `${PIDFILE}.task`],
    ]) {
      servers.push({ node: b.node, pidfile });
      await on(b.node, inNet(pid, ["iperf3", "-s", "-D", "-p", String(PORT), "--pidfile", pidfile]));
    }
    const sides = {
      direct: { client: { node: a.node, pid: undefined }, address: b.node.address },
      overlay: { client: { node: a.node, pid: a.pid }, address: b.overlay },
    };
    // The servers answer once they listen: a short run each, also a warm-up.
    for (const side of Object.values(sides))
      for (let i = 0; ; i++) {
        try {
          await on(
            side.client.node,
            inNet(side.client.pid, ["iperf3", "-c", side.address, "-p", String(PORT), "-t", "1"]),
          );
          break;
        } catch (e) {
          if (i >= 20) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    const trials = { direct: [], overlay: [] };
    for (let i = 0; i < TRIALS; i++)
      for (const name of i % 2 ? ["overlay", "direct"] : ["direct", "overlay"]) {
        const tp = await throughput(sides[name]);
        const rt = await roundTrip(sides[name]);
        trials[name].push({ ...tp, ...rt });
        console.error(`bench: trial ${i + 1} ${name}: ${tp.mbps.toFixed(0)} Mbit/s, ping median ${rt.medianMs} ms`);
      }
    const summary = (xs) => ({
      mbps: median(xs.map((x) => x.mbps)),
      pingMedianMs: median(xs.map((x) => x.medianMs)),
      pingAvgMs: median(xs.map((x) => x.avgMs)),
      meanRttUs: median(xs.map((x) => x.meanRttUs)),
      retransmits: median(xs.map((x) => x.retransmits)),
      cpuSenderPct: median(xs.map((x) => x.cpuSenderPct)),
    });
    const kernel = (await on(a.node, ["uname", "-r"])).trim();
    const cpu = (await on(a.node, ["sh", "-c", "nproc; grep -m1 'model name' /proc/cpuinfo"])).trim().split("\n");
    results = {
      started: started.toISOString(),
      nodes: [a.node.hostname, b.node.hostname],
      kernel,
      vcpus: Number(cpu[0]),
      cpuModel: cpu[1]?.split(":")[1]?.trim(),
      mtu: { direct: await mtuOf(a.node, undefined, a.node.address), overlay: await mtuOf(a.node, a.pid, a.overlay) },
      trials: TRIALS,
      seconds: SECONDS,
      pings: PINGS,
      direct: summary(trials.direct),
      overlay: summary(trials.overlay),
      raw: trials,
    };
  } finally {
    await cleanup();
  }
  return results;
}

const results = t ? await measure(t) : JSON.parse(readFileSync(args.from, "utf8"));
const started = new Date(results.started);
const { trials: TRIALS_RUN, seconds: SECONDS_RUN } = results;

const d = results.direct;
const o = results.overlay;
const f = (x, n = 2) => (Number.isFinite(x) ? x.toFixed(n) : "-");
console.log(`Overlay between two VMs (${results.nodes.join(", ")}), ${started.toISOString().slice(0, 10)}, kernel ${results.kernel}, ${results.vcpus} vCPU (${results.cpuModel}); MTU ${results.mtu.direct} direct, ${results.mtu.overlay} overlay; medians of ${TRIALS_RUN} trials
| measure | direct (VM to VM) | overlay (task to task) | overlay/direct |
|---|---|---|---|
| TCP throughput, Mbit/s (iperf3, ${SECONDS_RUN} s) | ${f(d.mbps, 0)} | ${f(o.mbps, 0)} | ${f(o.mbps / d.mbps)} |
| ping RTT median, ms | ${f(d.pingMedianMs, 3)} | ${f(o.pingMedianMs, 3)} | ${f(o.pingMedianMs / d.pingMedianMs)} |
| ping RTT average, ms | ${f(d.pingAvgMs, 3)} | ${f(o.pingAvgMs, 3)} | ${f(o.pingAvgMs / d.pingAvgMs)} |
| iperf3 mean_rtt under load, us | ${f(d.meanRttUs, 0)} | ${f(o.meanRttUs, 0)} | ${f(o.meanRttUs / d.meanRttUs)} |
| TCP retransmits per run | ${f(d.retransmits, 0)} | ${f(o.retransmits, 0)} | |
| sender CPU, % | ${f(d.cpuSenderPct, 0)} | ${f(o.cpuSenderPct, 0)} | |`);

const svg = barPanels({
  title: "Overlay between two VMs: task to task (VXLAN) vs VM to VM",
  subtitle: `${started.toISOString().slice(0, 10)}, kernel ${results.kernel}, ${results.vcpus} vCPU each, MTU ${results.mtu.direct} (overlay ${results.mtu.overlay}), medians of ${TRIALS_RUN} trials`,
  panels: [
    {
      label: "TCP throughput",
      unit: "Mbit/s",
      bars: [
        { name: "direct", value: d.mbps },
        { name: "overlay", value: o.mbps },
      ],
      note: `overlay/direct ${f(o.mbps / d.mbps)}`,
    },
    {
      label: "ping RTT median",
      unit: "ms",
      bars: [
        { name: "direct", value: d.pingMedianMs },
        { name: "overlay", value: o.pingMedianMs },
      ],
      note: `overlay/direct ${f(o.pingMedianMs / d.pingMedianMs)}`,
    },
  ],
});
const resultsDir = new URL("../results/", import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const stem = join(resultsDir, `overlay-vms-${started.toISOString().replace(/[:.]/g, "-")}`);
if (t) writeFileSync(`${stem}.json`, JSON.stringify(results, null, 2) + "\n");
writeFileSync(`${stem}.svg`, svg);
if (args.svg) writeFileSync(args.svg, svg);
console.error(`bench: results in ${stem}.json and .svg${args.svg ? `, chart also in ${args.svg}` : ""}`);
