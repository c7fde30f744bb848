import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import {
  ExecTimeoutError,
  InvalidSpecError,
  MissingDependencyError,
  NotFoundError,
  type ContainerEvent,
  type LogEntry,
} from "./index.js";
import { openRuntime, type Runtime } from "./runtime.js";
import { existingCgroupDirs, openTestRuntime, rootSkip as skip } from "./testing/runtime-fixture.js";

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function output(rt: Runtime, id: string): Promise<string> {
  return (await collect(rt.logs(id))).map((e) => e.line).join("");
}

/** Resolves with the first event matching `pred`. */
function nextEvent(rt: Runtime, pred: (e: ContainerEvent) => boolean): Promise<ContainerEvent> {
  return new Promise((resolve) => {
    const off = rt.subscribe((e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

test("a container has its own PID 1, hostname and mount table", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await rt.create({
    id: "iso",
    image: "busybox",
    hostname: "web-1",
    init: false,
    cmd: ["sh", "-c", "echo pid=$$; hostname; cut -d' ' -f5 /proc/self/mountinfo"],
  });
  await rt.start("iso");
  assert.equal((await rt.wait("iso")).exitCode, 0);
  const lines = (await output(rt, "iso")).trim().split("\n");
  assert.equal(lines[0], "pid=1");
  assert.equal(lines[1], "web-1");
  const mounts = lines.slice(2);
  assert.ok(mounts.includes("/") && mounts.includes("/proc") && mounts.includes("/dev"));
  // Only the container's own mounts: nothing of the host's (its /work, /tmp, /run, ...) is visible.
  for (const m of mounts)
    assert.match(m, /^\/(proc|dev|sys|etc\/(hosts|hostname|resolv\.conf))?(\/|$)/, `unexpected mount ${m}`);
});

test("the memory limit is enforced and an OOM kill is reported", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  const oom = nextEvent(rt, (e) => e.type === "oom" && e.id === "hog");
  // dd allocates its 64 MiB block: far past the 16 MiB limit.
  await rt.create({
    id: "hog",
    image: "busybox",
    cmd: ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
    resources: { memoryBytes: 16 << 20 },
  });
  await rt.start("hog");
  const exit = await rt.wait("hog");
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.oomKilled, true);
  await oom;
  assert.equal((await rt.inspect("hog")).oomKilled, true);
});

test("limits land in the cgroup: memory, cpu quota from --cpus, pids limit stops forks", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await rt.create({
    id: "lim",
    image: "busybox",
    cmd: ["sleep", "1000"],
    // pids.max counts threads: runc's init (a Go program) runs a few inside the container's cgroup before it
    // execs the command, so a limit of 4 made the start fail now and then ("container process is already dead").
    resources: { memoryBytes: 64 << 20, cpus: 0.5, pidsLimit: 16, cpuShares: 512 },
  });
  await rt.start("lim");
  const stats = await rt.stats("lim");
  assert.equal(stats.memoryLimitBytes, 64 << 20);
  assert.ok(stats.pids >= 1);
  const cg = `/${f.options.cgroupParent}/lim`;
  const cpuDir = existingCgroupDirs(cg).find((d) => existsSync(`${d}/cpu.cfs_quota_us`) || existsSync(`${d}/cpu.max`));
  assert.ok(cpuDir, "the container has a cpu cgroup");
  if (existsSync(`${cpuDir}/cpu.cfs_quota_us`)) {
    assert.equal(readFileSync(`${cpuDir}/cpu.cfs_quota_us`, "utf8").trim(), "50000");
    assert.equal(readFileSync(`${cpuDir}/cpu.cfs_period_us`, "utf8").trim(), "100000");
    assert.equal(readFileSync(`${cpuDir}/cpu.shares`, "utf8").trim(), "512");
  } else {
    assert.equal(readFileSync(`${cpuDir}/cpu.max`, "utf8").trim(), "50000 100000");
  }
  // sleep (1) + sh (1) + at most 14 more: the rest of the 30 forks fail.
  const r = await rt.exec("lim", {
    cmd: ["sh", "-c", "for i in $(seq 30); do sleep 1 & done; wait"],
    timeoutMs: 10_000,
  });
  assert.match(r.stderr, /can't fork|Resource temporarily unavailable/);
  assert.ok((await rt.stats("lim")).pids <= 16);
});

test("a container outlives the runtime's process and a new runtime re-adopts it", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  await f.runtime.close();
  // Another process plays the agent: it starts two containers and exits.
  const script = `
    import { openRuntime } from ${JSON.stringify(new URL("./runtime.js", import.meta.url).href)};
    const rt = await openRuntime(${JSON.stringify(f.options)});
    await rt.create({ id: "keep", image: "busybox", cmd: ["sh", "-c", "trap 'exit 143' TERM; echo before; sleep 1000 & wait"] });
    await rt.start("keep");
    await rt.create({ id: "ends", image: "busybox", cmd: ["sleep", "1000"] });
    await rt.start("ends");
    console.log(JSON.stringify([(await rt.inspect("keep")).pid, (await rt.inspect("ends")).pid]));
    process.exit(0);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  assert.equal(await new Promise((r) => child.on("exit", r)), 0);
  const [keepPid, endsPid] = JSON.parse(out) as [number, number];
  // While no runtime runs, one container is killed: its shim still records how it ended.
  execFileSync("runc", ["--root", `${f.options.runDir}/runc`, "kill", "ends", "KILL"]);
  await waitForFile(`${f.options.runDir}/exits/ends.json`);

  const rt = await f.reopen();
  const keep = await rt.inspect("keep");
  assert.equal(keep.status, "running");
  assert.equal(keep.pid, keepPid);
  const ends = await rt.inspect("ends");
  assert.equal(ends.status, "stopped");
  assert.equal(ends.exitCode, 137);
  assert.ok(endsPid > 0);
  assert.equal(await output(rt, "ends"), "");
  // The adopted container is fully managed: stop it and collect its exit and log.
  const exit = await rt.stop("keep", { graceMs: 5000 });
  assert.equal(exit.exitCode, 143);
  assert.equal(await output(rt, "keep"), "before\n");
});

test("logs rotate at the size limit, tail reads the end, follow ends with the container", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await rt.create({
    id: "chatty",
    image: "busybox",
    cmd: ["sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done; sleep 1000"],
    log: { maxSizeBytes: 8192, maxFiles: 2 },
  });
  await rt.start("chatty");
  const followed = collect(rt.logs("chatty", { follow: true, tail: 0 }));
  const info = await rt.inspect("chatty");
  await waitFor(async () => (await collect(rt.logs("chatty", { tail: 1 })))[0]?.line === "line-399\n");
  const files = readdirSync(`${f.options.dataDir}/containers/chatty/logs`).sort();
  assert.deepEqual(files, ["container.log", "container.log.1"]);
  const tail = await collect(rt.logs("chatty", { tail: 3 }));
  assert.deepEqual(
    tail.map((e) => e.line),
    ["line-397\n", "line-398\n", "line-399\n"],
  );
  assert.ok(info.status === "running");
  await rt.stop("chatty", { graceMs: 0 });
  // Follow returned when the container stopped; what it saw (the lines written after it began, those a
  // rotation outran excepted) came once each, in order.
  const seen = (await followed).map((e) => Number(/^line-(\d+)\n$/.exec(e.line)?.[1]));
  assert.ok(
    seen.every((n, i) => Number.isInteger(n) && (i === 0 || n > seen[i - 1]!)),
    `followed out of order: ${seen.join(",")}`,
  );
});

test("health checks go starting -> healthy -> unhealthy", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  const seen: string[] = [];
  const unhealthy = nextEvent(rt, (e) => e.type === "health" && e.status === "unhealthy");
  rt.subscribe((e) => {
    if (e.type === "health") seen.push(e.status);
  });
  await rt.create({
    id: "hc",
    image: "busybox",
    cmd: ["sh", "-c", "touch /tmp/ok; sleep 1000"],
    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ok"], intervalMs: 100, timeoutMs: 2000, retries: 2 },
  });
  await rt.start("hc");
  assert.equal((await rt.inspect("hc")).health?.status, "starting");
  await nextEvent(rt, (e) => e.type === "health" && e.status === "healthy");
  await rt.exec("hc", { cmd: ["rm", "/tmp/ok"] });
  await unhealthy;
  const h = (await rt.inspect("hc")).health;
  assert.equal(h?.status, "unhealthy");
  assert.ok((h?.failingStreak ?? 0) >= 2);
  assert.deepEqual(seen.slice(0, 2), ["healthy", "unhealthy"]);
});

test("exec runs in the container and a timeout kills it", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await rt.create({ id: "ex", image: "busybox", cmd: ["sleep", "1000"], env: ["GREETING=hi"] });
  await rt.start("ex");
  const r = await rt.exec("ex", { cmd: ["sh", "-c", "echo $GREETING $$; exit 3"] });
  assert.equal(r.exitCode, 3);
  assert.match(r.stdout, /^hi \d+\n$/);
  await assert.rejects(rt.exec("ex", { cmd: ["sleep", "30"], timeoutMs: 200 }), ExecTimeoutError);
  // The timed-out process is gone from the container.
  const ps = await rt.exec("ex", { cmd: ["ps", "-o", "args"] });
  assert.doesNotMatch(ps.stdout, /sleep 30/);
});

test("removal leaves nothing behind: mounts, cgroups, runc state, files", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await rt.create({
    id: "gone",
    image: "busybox",
    cmd: ["sleep", "1000"],
    resources: { memoryBytes: 32 << 20, pidsLimit: 10 },
  });
  await rt.start("gone");
  const cg = `/${f.options.cgroupParent}/gone`;
  assert.ok(existingCgroupDirs(cg).length > 0);
  await rt.remove("gone", { force: true });
  assert.deepEqual(existingCgroupDirs(cg), []);
  assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(`${f.options.dataDir}/containers/gone`), false);
  assert.equal(existsSync(`${f.options.dataDir}/containers/gone`), false);
  assert.equal(existsSync(`${f.options.runDir}/containers/gone`), false);
  assert.equal(
    execFileSync("runc", ["--root", `${f.options.runDir}/runc`, "list", "-q"])
      .toString()
      .trim(),
    "",
  );
  await assert.rejects(rt.inspect("gone"), NotFoundError);
});

test("bad input is refused with a typed error and leaves no container behind", { skip }, async (t) => {
  const f = await openTestRuntime();
  t.after(f.cleanup);
  const rt = f.runtime;
  await assert.rejects(rt.create({ id: "x1", image: "no-such-image:1" }), NotFoundError);
  await assert.rejects(
    rt.create({ id: "x2", image: "busybox", resources: { memoryBytes: 1024 } }),
    (e: unknown) => e instanceof InvalidSpecError && e.field.includes("memory"),
  );
  await assert.rejects(rt.create({ id: "../x", image: "busybox" }), InvalidSpecError);
  await assert.rejects(rt.create({ id: "x3", image: "busybox", user: "nobody-here" }), InvalidSpecError);
  assert.deepEqual(await rt.list(), []);
  assert.deepEqual(readdirSync(`${f.options.dataDir}/containers`), []);
  await assert.rejects(
    openRuntime({ ...f.options, runc: "/nonexistent/runc" }),
    (e: unknown) => e instanceof MissingDependencyError && /runc/.test(e.message),
  );
});

async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  // Polls a condition that has no event to await (another process's writes); bounded by the test timeout.
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
}

async function waitForFile(path: string): Promise<void> {
  await waitFor(() => Promise.resolve(existsSync(path)));
}

test(
  "a container whose shim is killed is ended and reported with an unknown exit, not left unmanaged",
  { skip },
  async (t) => {
    const f = await openTestRuntime();
    t.after(f.cleanup);
    const rt = f.runtime;
    await rt.create({ id: "orphan", image: "busybox", cmd: ["sleep", "1000"] });
    const { pid } = await rt.start("orphan");
    const shimPid = (
      JSON.parse(readFileSync(`${f.options.dataDir}/containers/orphan/container.json`, "utf8")) as { shimPid: number }
    ).shimPid;
    const exited = rt.wait("orphan");
    process.kill(shimPid, "SIGKILL");
    const exit = await exited; // found by the runtime's periodic check
    assert.equal(exit.exitCode, 255);
    assert.match(exit.error ?? "", /shim is gone/);
    assert.equal(
      existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z"),
      false,
      "the container was killed",
    );
  },
);
