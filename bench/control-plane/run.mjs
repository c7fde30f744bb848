#!/usr/bin/env node
// Control-plane convergence: how long Shoal and Docker Swarm take, on one node, from `service create` of N
// busybox replicas to N running tasks, and from `service rm` to no container left; and how much memory their
// daemons hold. Both in one run, one after the other. Run as root. See bench/control-plane/README.md.
//
//   npm run bench:control-plane -- [--sizes 3,30,100] [--trials 3] [--only runc,swarm,shoal] [--poll-ms 100] [--timeout 600]
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBusyboxTarball } from "../../libs/runtime/dist/testing/index.js";
import { median, pollUntil, removeTree } from "./procs.mjs";
import { startBare } from "./bare.mjs";
import { startShoal } from "./shoal.mjs";
import { startSwarm } from "./swarm.mjs";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "3,30,100" },
    trials: { type: "string", default: "3" },
    only: { type: "string" },
    "poll-ms": { type: "string", default: "100" },
    timeout: { type: "string", default: "600" },
  },
});
const SIZES = args.sizes.split(",").map(Number);
const TRIALS = Number(args.trials);
const POLL_MS = Number(args["poll-ms"]);
const TIMEOUT_MS = Number(args.timeout) * 1000;
if (
  SIZES.some((n) => !Number.isInteger(n) || n <= 0) ||
  !Number.isInteger(TRIALS) ||
  TRIALS <= 0 ||
  !(POLL_MS > 0) ||
  !(TIMEOUT_MS > 0)
) {
  console.error(
    "bench: --sizes takes positive integers (3,30,100), --trials a positive integer, --poll-ms and --timeout positive numbers",
  );
  process.exit(2);
}
const SIDES = ["runc", "swarm", "shoal"];
if (args.only !== undefined && !args.only.split(",").every((s) => SIDES.includes(s))) {
  console.error(`bench: --only takes a list of ${SIDES.join(", ")}, got "${args.only}"`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (both systems run containers; the Swarm side may install docker.io)");
  process.exit(2);
}

// ---- clean-up of everything the run creates, also on errors, Ctrl-C and SIGTERM ----
const work = mkdtempSync(join(tmpdir(), "shoal-bench-cp-"));
const running = new Set();
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const side of [...running]) {
      running.delete(side);
      await side.stop().catch((e) => console.error(`bench: stopping ${side.name}: ${e.message}`));
    }
    // Whatever a side left, or a side interrupted while it was starting: its processes, mounts and files.
    await removeTree(work);
  })();
  return cleaning;
}
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    console.error(`bench: ${signal}: removing everything the run created`);
    void cleanup().finally(() => process.exit(code));
  });
}

// ---- measurement ----

/**
 * One trial: `service create` of n replicas, polled every POLL_MS until n tasks run; then `service rm`, polled
 * until no container of it is left. Both clocks start before the CLI is spawned: its own time is part of it.
 */
async function trial(side, name, n) {
  let seen = 0;
  const t0 = performance.now();
  await side.create(name, n);
  const createCliMs = performance.now() - t0;
  const upMs = await pollUntil(t0, {
    periodMs: POLL_MS,
    timeoutMs: TIMEOUT_MS,
    what: `${n} running tasks of ${side.name} service ${name}`,
    probe: async () => (seen = await side.running(name)) >= n,
    describe: () => `${seen} of ${n} running`,
  });
  const memory = side.memory();
  const t1 = performance.now();
  await side.remove(name);
  const removeCliMs = performance.now() - t1;
  const goneMs = await pollUntil(t1, {
    periodMs: POLL_MS,
    timeoutMs: TIMEOUT_MS,
    what: `no container left of ${side.name} service ${name}`,
    probe: async () => (seen = await side.containers(name)) === 0,
    describe: () => `${seen} containers left`,
  });
  return { createS: upMs / 1000, removeS: goneMs / 1000, createCliMs, removeCliMs, memory };
}

/** Starts one side, warms it with an untimed round of 3, runs every size TRIALS times, and stops it. */
async function benchSide(start, kind, tarball) {
  const t0 = performance.now();
  const side = await start({ dir: join(work, kind), tarball });
  running.add(side);
  const startS = (performance.now() - t0) / 1000;
  try {
    const version = await side.version();
    console.error(`bench: ${kind} ${version} up in ${startS.toFixed(1)} s`);
    await trial(side, "warmup", 3);
    const sizes = [];
    for (const n of SIZES) {
      const trials = [];
      for (let t = 0; t < TRIALS; t++) {
        const r = await trial(side, `b${n}`, n);
        trials.push(r);
        console.error(
          `bench: ${kind} n=${n} trial ${t + 1}: create->running ${r.createS.toFixed(2)} s (CLI ${r.createCliMs.toFixed(0)} ms), ` +
            `rm->gone ${r.removeS.toFixed(2)} s (CLI ${r.removeCliMs.toFixed(0)} ms), RSS ${mib(r.memory.mainKiB)} MiB (all processes ${mib(r.memory.totalKiB)} MiB)`,
        );
      }
      sizes.push({
        n,
        createS: median(trials.map((r) => r.createS)),
        removeS: median(trials.map((r) => r.removeS)),
        mainRssMiB: Math.max(...trials.map((r) => r.memory.mainKiB)) / 1024,
        totalRssMiB: Math.max(...trials.map((r) => r.memory.totalKiB)) / 1024,
        trials,
      });
    }
    return { version, startS, sizes };
  } finally {
    running.delete(side);
    await side.stop();
  }
}

// ---- output ----
const mib = (kib) => (kib / 1024).toFixed(0);
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");

function table(swarm, shoal, bare) {
  const at = (side, n) => side?.sizes?.find((s) => s.n === n);
  const lines = [
    "| N | create->running: bare runc s | swarm s | shoal s | shoal/swarm | shoal/runc | rm->gone: swarm s | shoal s | shoal/swarm | RSS dockerd MiB | RSS shoal manager+agent MiB | RSS all swarm processes MiB | all shoal processes MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const n of SIZES) {
    const w = at(swarm, n);
    const s = at(shoal, n);
    const b = at(bare, n);
    lines.push(
      `| ${n} | ${f(b?.createS)} | ${f(w?.createS)} | ${f(s?.createS)} | ${f(s?.createS / w?.createS, 3)} | ${f(s?.createS / b?.createS, 2)} | ${f(w?.removeS)} | ${f(s?.removeS)} | ${f(s?.removeS / w?.removeS, 3)} | ` +
        `${f(w?.mainRssMiB, 0)} | ${f(s?.mainRssMiB, 0)} | ${f(w?.totalRssMiB, 0)} | ${f(s?.totalRssMiB, 0)} |`,
    );
  }
  return lines.join("\n");
}

/** The issue's goal: Shoal converges N=100 in at most 1/8 of Swarm's time. */
function goal(swarm, shoal) {
  const w = swarm?.sizes?.find((s) => s.n === 100);
  const s = shoal?.sizes?.find((x) => x.n === 100);
  if (!w || !s) return "goal (Shoal at most 1/8 of Swarm's create->running time at N=100): not measured in this run";
  const ratio = s.createS / w.createS;
  return `goal (Shoal at most 1/8 of Swarm's create->running time at N=100): ${ratio <= 1 / 8 ? "met" : "NOT met"}, ratio ${ratio.toFixed(3)} (1/${(1 / ratio).toFixed(1)})`;
}

const started = new Date();
const results = {};
let failed = false;
try {
  const tarball = await ensureBusyboxTarball();
  const plan = [
    ["runc", startBare],
    ["swarm", startSwarm],
    ["shoal", startShoal],
  ].filter(([kind]) => args.only === undefined || args.only.split(",").includes(kind));
  for (const [kind, start] of plan) {
    try {
      results[kind] = await benchSide(start, kind, tarball);
    } catch (e) {
      failed = true;
      results[kind] = { error: e.message };
      console.error(`bench: the ${kind} side failed: ${e.message}`);
    }
  }
} finally {
  await cleanup();
}

console.log(
  `\nControl-plane benchmark, ${started.toISOString().slice(0, 10)}, ${cpus().length} cores, one node, busybox sleep 3600, ` +
    `median of ${TRIALS} trials, polled every ${POLL_MS} ms` +
    `${results.swarm?.version ? `, Docker ${results.swarm.version}` : ""}\n`,
);
console.log(table(results.swarm, results.shoal, results.runc));
console.log(`\n${goal(results.swarm, results.shoal)}`);
const resultsDir = new URL("../results/", import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `control-plane-${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(
  file,
  JSON.stringify(
    { started, node: process.version, cpus: cpus().length, sizes: SIZES, trials: TRIALS, pollMs: POLL_MS, ...results },
    null,
    2,
  ),
);
console.log(`bench: results written to ${file}`);
process.exit(failed ? 1 : 0);
