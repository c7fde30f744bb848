import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_SHIM_PATH, ExitWatcher, isShimAlive, launchShim, readExitFile, type ShimLaunch } from "./shim.js";
import { RuncClient } from "./runc.js";
import { OciRuntimeError } from "../errors.js";
import { unpackBusybox } from "../testing/busybox.js";
import { removeCgroupTree, rootSkip as skip } from "../testing/runtime-fixture.js";

/** A bundle from `runc spec` with the busybox rootfs, running `args`. */
async function makeBundle(dir: string, args: string[]): Promise<void> {
  await unpackBusybox(dir);
  execFileSync("runc", ["spec"], { cwd: dir });
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as {
    process: { terminal: boolean; args: string[] };
    linux: { cgroupsPath?: string };
  };
  config.process.terminal = false;
  config.process.args = args;
  config.linux.cgroupsPath = `/shoal-shim-test-${process.pid}/${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
}

function launchFor(dir: string, id: string, extra: Partial<ShimLaunch> = {}): ShimLaunch {
  for (const d of ["logs", "exits", "run", "runc"]) mkdirSync(join(dir, d), { recursive: true });
  return {
    shim: DEFAULT_SHIM_PATH,
    id,
    bundle: dir,
    runc: "runc",
    runcRoot: join(dir, "runc"),
    logDir: join(dir, "logs"),
    exitFile: join(dir, "exits", `${id}.json`),
    pidFile: join(dir, "run", "init.pid"),
    logMaxSize: 1 << 20,
    logMaxFiles: 3,
    ...extra,
  };
}

async function cleanup(dir: string, id: string): Promise<void> {
  try {
    await new RuncClient("runc", join(dir, "runc")).delete(id, true).catch(() => {});
    removeCgroupTree(`shoal-shim-test-${process.pid}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function waitExit(dir: string, id: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (existsSync(join(dir, "exits", `${id}.json`))) {
        w.close();
        resolve();
      }
    };
    const w = new ExitWatcher(
      join(dir, "exits"),
      (got) => {
        if (got === id) check();
      },
      check,
      200,
    );
    check();
  });
}

test(
  "the shim captures output as JSON lines and records the exit status after the log is complete",
  { skip },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "shoal-shim-"));
    const id = `shim-${process.pid}-a`;
    t.after(() => cleanup(dir, id));
    await makeBundle(dir, ["sh", "-c", 'echo hello; echo "a \\"quoted\\" tab\there" >&2; printf partial; exit 7']);
    const l = launchFor(dir, id);
    const started = await launchShim(l);
    assert.ok(started.initPid > 0 && started.shimPid > 0);
    await waitExit(dir, id);
    const exit = await readExitFile(l.exitFile);
    assert.equal(exit?.status, 7);
    const entries = readFileSync(join(dir, "logs", "container.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
    assert.ok(entries.some((e) => e.stream === "stdout" && e.log === "hello\n"));
    assert.ok(entries.some((e) => e.stream === "stderr" && e.log === 'a "quoted" tab\there\n'));
    assert.ok(entries.some((e) => e.stream === "stdout" && e.log === "partial"));
    for (const e of entries) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  },
);

test("a killed container reports 128 + signal, and the shim outlives its starter", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-shim-"));
  const id = `shim-${process.pid}-b`;
  t.after(() => cleanup(dir, id));
  await makeBundle(dir, ["sleep", "1000"]);
  const l = launchFor(dir, id);
  const started = await launchShim(l);
  assert.equal(await isShimAlive(started.shimPid, id), true);
  assert.equal(await isShimAlive(started.shimPid, "other"), false);
  const runc = new RuncClient("runc", join(dir, "runc"));
  assert.equal((await runc.state(id))?.status, "running");
  await runc.kill(id, 9);
  await waitExit(dir, id);
  assert.deepEqual({ ...(await readExitFile(l.exitFile)), time: "" }, { status: 137, signal: 9, time: "" });
  assert.equal((await runc.state(id))?.status, "stopped");
});

test("the shim rotates its log at the size limit and keeps max-files files", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-shim-"));
  const id = `shim-${process.pid}-c`;
  t.after(() => cleanup(dir, id));
  await makeBundle(dir, ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done"]);
  const l = launchFor(dir, id, { logMaxSize: 16384, logMaxFiles: 3 });
  await launchShim(l);
  await waitExit(dir, id);
  const files = readdirSync(join(dir, "logs")).sort();
  assert.deepEqual(files, ["container.log", "container.log.1", "container.log.2"]);
  const lines = ["container.log.2", "container.log.1", "container.log"].flatMap((f) =>
    readFileSync(join(dir, "logs", f), "utf8")
      .trim()
      .split("\n")
      .map((x) => (JSON.parse(x) as { log: string }).log),
  );
  for (const f of files) assert.ok(readFileSync(join(dir, "logs", f)).length <= 16384);
  // The kept files hold the newest lines, contiguous, ending with the last one.
  assert.equal(lines[lines.length - 1], "line-1999\n");
  const first = Number(/line-(\d+)/.exec(lines[0]!)![1]);
  assert.deepEqual(
    lines,
    Array.from({ length: 2000 - first }, (_, i) => `line-${first + i}\n`),
  );
});

test("runc's refusal comes back as a typed error naming the reason", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-shim-"));
  const id = `shim-${process.pid}-d`;
  t.after(() => cleanup(dir, id));
  await makeBundle(dir, ["/no/such/program"]);
  await assert.rejects(
    launchShim(launchFor(dir, id)),
    (err: unknown) => err instanceof OciRuntimeError && /no such file|not found|executable/i.test(err.message),
  );
});
