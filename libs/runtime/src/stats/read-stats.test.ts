import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { CgroupError } from "../errors.js";
import { cgroupDirs, type CgroupLayout } from "./cgroup-layout.js";
import { detectCgroupLayout, hostSupportsSwapAccounting, readContainerStats, readOomKillCount } from "./read-stats.js";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && process.env["CI"] !== "true" ? "needs root to create cgroups" : false;
const MiB = 2 ** 20;

/**
 * A child that, once told "go" on stdin (after it was moved into the cgroup), fills `allocMiB` of memory,
 * burns some cpu and says "ready"; it exits when its stdin closes.
 */
const CHILD = `
process.stdin.once("data", () => {
  globalThis.keep = Buffer.alloc(Number(process.argv[1]) * ${MiB}, 1);
  let x = 0;
  for (let i = 0; i < 2e7; i++) x += i;
  process.stdout.write("ready " + x + "\\n");
});
process.stdin.on("end", () => process.exit(0));
`;

/** Creates `<parent>/c` in every controller the test reads, removing them (child first) when the test ends. */
async function makeCgroup(
  t: TestContext,
  layout: CgroupLayout,
  memoryLimit: number,
): Promise<{ path: string; leaves: string[] }> {
  const parent = `/shoal-test-${process.pid}-${randomBytes(4).toString("hex")}`;
  const path = `${parent}/c`;
  const controllers = layout.version === 1 ? ["memory", "pids", "cpuacct"] : ["memory"];
  const created: string[] = [];
  const leaves: string[] = [];
  t.after(async () => {
    for (const dir of created.reverse()) await rmdir(dir);
  });
  for (const name of controllers) {
    const mountpoint = layout.controllers[name];
    assert.ok(mountpoint, `the ${name} controller is mounted`);
    for (const dir of [join(mountpoint, parent), join(mountpoint, path)]) {
      await mkdir(dir);
      created.push(dir);
      if (dir.endsWith(path)) leaves.push(dir);
      if (layout.version === 2 && dir.endsWith(parent)) {
        await writeFile(join(dir, "cgroup.subtree_control"), "+memory +pids +cpu");
      }
    }
  }
  const memory = cgroupDirs(layout, path)["memory"] as string;
  await writeFile(join(memory, layout.version === 1 ? "memory.limit_in_bytes" : "memory.max"), String(memoryLimit));
  return { path, leaves };
}

/** Starts the child, moves it into the cgroup's leaf dirs and tells it to go; killed at the end. */
async function runChild(t: TestContext, leaves: string[], allocMiB: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", CHILD, String(allocMiB)], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = once(child, "exit");
  // Registered after the cgroup's cleanup, so it runs first: the cgroup can only go once the child has.
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  await once(child, "spawn");
  for (const dir of leaves) await writeFile(join(dir, "cgroup.procs"), String(child.pid));
  child.stdin?.write("go\n");
  return child;
}

describe("reading a real container cgroup", { skip }, () => {
  it("reports cpu, memory (without cache), the limit and pids of processes moved into it", async (t) => {
    const layout = await detectCgroupLayout();
    const { path, leaves } = await makeCgroup(t, layout, 256 * MiB);
    const child = await runChild(t, leaves, 32);
    await once(child.stdout!, "data");

    const stats = await readContainerStats(layout, path, 24 * 1024 * MiB, () => new Date(0));
    assert.ok(stats.cpuUsageNs > 0, `cpu usage ${stats.cpuUsageNs}`);
    assert.ok(stats.memoryUsageBytes >= 32 * MiB, `memory usage ${stats.memoryUsageBytes} holds the 32 MiB buffer`);
    assert.ok(stats.memoryUsageBytes < 256 * MiB);
    assert.equal(stats.memoryLimitBytes, 256 * MiB);
    assert.ok(stats.pids >= 1, `pids ${stats.pids}`);
    assert.equal(stats.read, new Date(0).toISOString());
    assert.equal(await readOomKillCount(layout, path), 0);

    child.stdin?.end();
    await once(child, "exit");
  });

  it("counts an OOM kill in the cgroup", async (t) => {
    const layout = await detectCgroupLayout();
    const { path, leaves } = await makeCgroup(t, layout, 64 * MiB);
    const child = await runChild(t, leaves, 256);
    const [, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, "SIGKILL");
    assert.equal(await readOomKillCount(layout, path), 1);
  });

  it("says the cgroup is gone when it does not exist", async () => {
    const layout = await detectCgroupLayout();
    await assert.rejects(readContainerStats(layout, "/shoal-test-missing/none", 1), (err: unknown) => {
      assert.ok(err instanceof CgroupError);
      assert.match(err.message, /cgroup is gone/);
      return true;
    });
  });
});

describe("hostSupportsSwapAccounting", () => {
  it("looks for memory.memsw.limit_in_bytes on v1 and memory.swap.max in a child cgroup on v2", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "shoal-swap-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const v1 = { version: 1 as const, controllers: { memory: dir } };
    const v2 = { version: 2 as const, controllers: { memory: dir } };
    assert.equal(await hostSupportsSwapAccounting(v1), false);
    assert.equal(await hostSupportsSwapAccounting(v2), false);
    await writeFile(join(dir, "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
    assert.equal(await hostSupportsSwapAccounting(v1), true);
    await mkdir(join(dir, "system.slice"));
    await writeFile(join(dir, "system.slice", "memory.swap.max"), "max\n");
    assert.equal(await hostSupportsSwapAccounting(v2), true);
    assert.equal(await hostSupportsSwapAccounting({ version: 1, controllers: {} }), false, "no memory controller");
  });
});
