#!/usr/bin/env node
// Starting and removing busybox containers through Shoal's runtime (own overlay rootfs, fresh netns, shim,
// JSON logs, cgroups) against bare `runc run -d` on one shared pre-made rootfs, and bare runc on its own
// overlay per container (mounted with `mount`), in one run. Run as root.
// See bench/runtime/README.md.
//
//   npm run bench:runtime -- [--n 1,10,100] [--trials 3]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openRuntime } from "../../libs/runtime/dist/index.js";
import { ensureBusyboxTarball, removeCgroupTree, unpackBusybox } from "../../libs/runtime/dist/testing/index.js";

const { values: args } = parseArgs({
  options: { n: { type: "string", default: "1,10,100" }, trials: { type: "string", default: "3" } },
});
const NS = args.n.split(",").map(Number);
const TRIALS = Number(args.trials);
if (NS.some((n) => !Number.isInteger(n) || n <= 0) || !Number.isInteger(TRIALS) || TRIALS <= 0) {
  console.error("bench: --n takes positive integers (1,10,100), --trials a positive integer");
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (containers need namespaces, cgroups and mounts)");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "shoal-bench-runtime-"));
const cgroupParent = `shoal-bench-${process.pid}`;
const bareRoot = join(work, "bare-runc");
let runtime;
const bareIds = new Set();

async function cleanup() {
  for (const id of bareIds) {
    try {
      execFileSync("runc", ["--root", bareRoot, "delete", "-f", id], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  if (runtime) {
    for (const c of await runtime.list()) await runtime.remove(c.id, { force: true }).catch(() => {});
    await runtime.close();
  }
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(work));
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  removeCgroupTree(cgroupParent);
  rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));

function kib(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A bundle from `runc spec` over the image's layers unpacked once, running `sleep 3600`. */
async function bareBundle() {
  const dir = join(work, "bare-bundle");
  await unpackBusybox(dir);
  execFileSync("runc", ["spec"], { cwd: dir });
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  config.process.terminal = false;
  config.process.args = ["sleep", "3600"];
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

async function timeBare(bundle, n, trial) {
  const ids = Array.from({ length: n }, (_, i) => `bare-${n}-${trial}-${i}`);
  const t0 = performance.now();
  for (const id of ids) {
    // Its own cgroup like ours; stdio to /dev/null (bare runc keeps no logs).
    execFileSync("runc", ["--root", bareRoot, "run", "-d", "--bundle", bundle, id], { stdio: "ignore" });
    bareIds.add(id);
  }
  const start = performance.now() - t0;
  const t1 = performance.now();
  for (const id of ids) {
    execFileSync("runc", ["--root", bareRoot, "delete", "-f", id], { stdio: "ignore" });
    bareIds.delete(id);
  }
  return { start: start / n, remove: (performance.now() - t1) / n };
}

/** Bare runc again, but each container on its own overlay over the image layer (mount timed, not unmount). */
async function timeBareOverlay(bundle, layerDir, n, trial) {
  const ids = Array.from({ length: n }, (_, i) => `bov-${n}-${trial}-${i}`);
  const config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  const dirs = ids.map((id) => {
    const d = join(work, "bov", id);
    for (const sub of ["rootfs", "upper", "work"]) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(
      join(d, "config.json"),
      JSON.stringify({ ...config, root: { path: join(d, "rootfs"), readonly: false } }),
    );
    return d;
  });
  const t0 = performance.now();
  ids.forEach((id, i) => {
    const d = dirs[i];
    execFileSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${layerDir},upperdir=${d}/upper,workdir=${d}/work`,
      join(d, "rootfs"),
    ]);
    execFileSync("runc", ["--root", bareRoot, "run", "-d", "--bundle", d, id], { stdio: "ignore" });
    bareIds.add(id);
  });
  const start = performance.now() - t0;
  for (const [i, id] of ids.entries()) {
    execFileSync("runc", ["--root", bareRoot, "delete", "-f", id], { stdio: "ignore" });
    bareIds.delete(id);
    execFileSync("umount", [join(dirs[i], "rootfs")]);
  }
  rmSync(join(work, "bov"), { recursive: true, force: true });
  return { start: start / n };
}

async function timeShoal(n, trial) {
  const ids = Array.from({ length: n }, (_, i) => `shoal-${n}-${trial}-${i}`);
  const t0 = performance.now();
  for (const id of ids) {
    await runtime.create({ id, image: "busybox", cmd: ["sleep", "3600"], network: { mode: "none" } });
    await runtime.start(id);
  }
  const start = performance.now() - t0;
  const agentKiB = kib(process.pid);
  let shimKiB = 0;
  for (const c of await runtime.list())
    shimKiB += kib(JSON.parse(readFileSync(join(work, "data/containers", c.id, "container.json"), "utf8")).shimPid);
  const t1 = performance.now();
  for (const id of ids) await runtime.remove(id, { force: true });
  return { start: start / n, remove: (performance.now() - t1) / n, agentKiB, shimKiB: shimKiB / n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const tarball = await ensureBusyboxTarball();
  runtime = await openRuntime({ dataDir: join(work, "data"), runDir: join(work, "run"), cgroupParent });
  await runtime.images.load(tarball);
  const bundle = await bareBundle();
  const layerDir = (await runtime.images.resolve("busybox")).layerDirs[0];
  // Warm both paths (page cache, binaries) before timing.
  await timeBare(bundle, 3, "warm");
  await timeShoal(3, "warm");
  const rows = [];
  for (const n of NS) {
    const bare = [];
    const ours = [];
    const bareOverlay = [];
    for (let t = 0; t < TRIALS; t++) {
      bareOverlay.push(await timeBareOverlay(bundle, layerDir, n, t));
      // Alternate which goes first so neither always meets a warmer machine.
      if (t % 2 === 0) {
        bare.push(await timeBare(bundle, n, t));
        ours.push(await timeShoal(n, t));
      } else {
        ours.push(await timeShoal(n, t));
        bare.push(await timeBare(bundle, n, t));
      }
    }
    const row = {
      n,
      bareStartMs: median(bare.map((b) => b.start)),
      bareOverlayStartMs: median(bareOverlay.map((b) => b.start)),
      shoalStartMs: median(ours.map((o) => o.start)),
      bareRemoveMs: median(bare.map((b) => b.remove)),
      shoalRemoveMs: median(ours.map((o) => o.remove)),
      agentRssMiB: Math.max(...ours.map((o) => o.agentKiB)) / 1024,
      shimRssKiB: median(ours.map((o) => o.shimKiB)),
    };
    rows.push(row);
    console.error(
      `n=${n}: start ${row.shoalStartMs.toFixed(1)} vs ${row.bareStartMs.toFixed(1)} ms (own overlay ${row.bareOverlayStartMs.toFixed(1)}), remove ${row.shoalRemoveMs.toFixed(1)} vs ${row.bareRemoveMs.toFixed(1)} ms`,
    );
  }
  const f = (x) => x.toFixed(1);
  const lines = [
    `Runtime benchmark, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${execFileSync("runc", ["--version"]).toString().split("\n")[0]}, median of ${TRIALS} trials, containers started one after another`,
    "",
    "| N | start: shoal ms/container | bare runc | ratio | bare runc, own overlay each | ratio | remove: shoal ms/container | bare runc | ratio | agent RSS MiB | shim RSS KiB each |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.n} | ${f(r.shoalStartMs)} | ${f(r.bareStartMs)} | ${(r.shoalStartMs / r.bareStartMs).toFixed(2)}x | ${f(r.bareOverlayStartMs)} | ${(r.shoalStartMs / r.bareOverlayStartMs).toFixed(2)}x | ${f(r.shoalRemoveMs)} | ${f(r.bareRemoveMs)} | ${(r.shoalRemoveMs / r.bareRemoveMs).toFixed(2)}x | ${f(r.agentRssMiB)} | ${Math.round(r.shimRssKiB)} |`,
    ),
  ];
  console.log(lines.join("\n"));
  mkdirSync(new URL("../results", import.meta.url), { recursive: true });
  writeFileSync(new URL(`../results/runtime-${Date.now()}.json`, import.meta.url), JSON.stringify(rows, null, 2));
} finally {
  await cleanup();
}
