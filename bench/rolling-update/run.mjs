#!/usr/bin/env node
// Rolling updates: how long Shoal and Docker Swarm take, on one node, from `service update --env-add` of a
// service of N busybox replicas to the update reported completed, with each one's defaults (one task at a
// time, stop-first, no delay, 5 s monitor after the last task). Both in one run, one after the other. Run as
// root. See bench/rolling-update/README.md.
//
//   npm run bench:rolling-update -- [--replicas 10] [--trials 3] [--only swarm,shoal]
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBusyboxTarball } from "../../libs/runtime/dist/testing/index.js";
import { median, pollUntil, removeTree } from "../control-plane/procs.mjs";
import { startShoal } from "../control-plane/shoal.mjs";
import { startSwarm } from "../control-plane/swarm.mjs";

const { values: args } = parseArgs({
  options: {
    replicas: { type: "string", default: "10" },
    trials: { type: "string", default: "3" },
    only: { type: "string" },
  },
});
const N = Number(args.replicas);
const TRIALS = Number(args.trials);
const SIDES = { swarm: startSwarm, shoal: startShoal };
const chosen = args.only ? args.only.split(",") : Object.keys(SIDES);
if (!Number.isInteger(N) || N <= 0 || !Number.isInteger(TRIALS) || TRIALS <= 0 || !chosen.every((s) => s in SIDES)) {
  console.error("bench: --replicas and --trials take positive integers, --only a list of swarm, shoal");
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (both systems run containers; the Swarm side may install docker.io)");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "shoal-bench-update-"));
const running = new Set();
let cleaning;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (const side of [...running])
      await side.stop().catch((e) => console.error(`bench: stopping ${side.name}: ${e.message}`));
    await removeTree(work);
  })());
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
])
  process.on(signal, () => void cleanup().finally(() => process.exit(code)));

/** One side: a service of N replicas, then TRIALS updates, each timed from the CLI call to `completed`. */
async function benchSide(kind, tarball) {
  const side = await SIDES[kind]({ dir: join(work, kind), tarball });
  running.add(side);
  try {
    const version = await side.version();
    const name = "upd";
    await side.create(name, N);
    await pollUntil(performance.now(), {
      periodMs: 100,
      timeoutMs: 300_000,
      what: `${N} running tasks of ${kind}`,
      probe: async () => (await side.running(name)) >= N,
      describe: () => "",
    });
    const trials = [];
    for (let t = 1; t <= TRIALS; t++) {
      let state = "";
      const t0 = performance.now();
      await side.update(name, `BENCH_TRIAL=${t}`);
      const ms = await pollUntil(t0, {
        periodMs: 100,
        timeoutMs: 600_000,
        what: `${kind}'s update ${t} to complete`,
        // The previous trial's update is completed too: wait for this one to start before taking "completed".
        probe: async () => {
          const s = await side.updateState(name);
          const seen = state;
          state = s;
          return s === "completed" && seen !== "" && seen !== "completed";
        },
        describe: () => `update state ${state || "none"}`,
      }).catch(async (e) => {
        throw new Error(`${e.message} (running tasks: ${await side.running(name)})`);
      });
      trials.push(ms / 1000);
      console.error(`bench: ${kind} trial ${t}: update of ${N} replicas completed in ${(ms / 1000).toFixed(2)} s`);
    }
    await side.remove(name);
    return { version, trials, median: median(trials) };
  } finally {
    running.delete(side);
    await side.stop();
  }
}

try {
  const tarball = await ensureBusyboxTarball();
  const results = {};
  for (const kind of chosen) results[kind] = await benchSide(kind, tarball);
  const date = new Date().toISOString();
  mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`../results/rolling-update-${date.replace(/[:.]/g, "-")}.json`, import.meta.url),
    JSON.stringify({ date, n: N, cpus: cpus().length, results }, null, 2),
  );
  const sw = results.swarm?.median;
  const sh = results.shoal?.median;
  console.log(
    `\nRolling update of ${N} busybox replicas, defaults (parallelism 1, stop-first, 5 s monitor), median of ${TRIALS}, ${cpus().length} CPUs${results.swarm ? `, Docker ${results.swarm.version}` : ""}:\n`,
  );
  console.log("| update -> completed | swarm s | shoal s | shoal/swarm |");
  console.log("|---|---|---|---|");
  console.log(
    `| ${N} replicas | ${sw?.toFixed(2) ?? "-"} | ${sh?.toFixed(2) ?? "-"} | ${sw && sh ? (sh / sw).toFixed(2) : "-"} |`,
  );
} finally {
  await cleanup();
}
