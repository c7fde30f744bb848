import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ExecTimeoutError,
  ExecutorClosedError,
  InvalidSpecError,
  InvalidStateError,
  NotFoundError,
} from "../errors.js";
import type { ContainerEvent, ContainerSpec } from "../types.js";
import { ManualClock } from "./memory-clock.js";
import { MemoryExecutor } from "./memory-executor.js";
import { MemoryHost } from "./memory-host.js";
import { memoryImage } from "./memory-image-ref.js";

/** A host on a manual clock with a busybox-like image, an executor on it, and the events it reported. */
function setup(): { clock: ManualClock; host: MemoryHost; ex: MemoryExecutor; events: ContainerEvent[] } {
  const clock = new ManualClock(Date.parse("2026-11-23T10:00:00Z"));
  const host = new MemoryHost({ clock });
  host.images.addImage(memoryImage("busybox", { cmd: ["sh"] }));
  const ex = new MemoryExecutor(host);
  const events: ContainerEvent[] = [];
  ex.subscribe((e) => events.push(e));
  return { clock, host, ex, events };
}

async function run(ex: MemoryExecutor, id: string, cmd: string[], extra: Partial<ContainerSpec> = {}): Promise<void> {
  await ex.create({ id, image: "busybox", cmd, ...extra });
  await ex.start(id);
}

const kinds = (events: ContainerEvent[]): string[] =>
  events.map((e) =>
    e.type === "health" ? `health:${e.status}` : e.type === "exit" ? `exit:${e.exit.exitCode}` : e.type,
  );

describe("MemoryExecutor on a manual clock", () => {
  it("runs sleeps on the clock and stamps times from it", async () => {
    const { clock, ex } = setup();
    await run(ex, "c", ["sh", "-c", "echo a; sleep 5; echo b"]);
    await clock.advance(4999);
    assert.equal((await ex.inspect("c")).status, "running");
    await clock.advance(1);
    const info = await ex.inspect("c");
    assert.deepEqual(
      [info.status, info.exitCode, info.startedAt, info.finishedAt],
      ["stopped", 0, "2026-11-23T10:00:00.000Z", "2026-11-23T10:00:05.000Z"],
    );
    const entries = [];
    for await (const e of ex.logs("c")) entries.push([e.time, e.line]);
    assert.deepEqual(entries, [
      ["2026-11-23T10:00:00.000Z", "a\n"],
      ["2026-11-23T10:00:05.000Z", "b\n"],
    ]);
  });

  it("stops with the spec's signal and grace period, SIGKILL when the init ignores it", async () => {
    const { clock, ex, events } = setup();
    await run(ex, "int", ["sleep", "100"], { stopSignal: "SIGINT" });
    assert.equal((await ex.stop("int")).exitCode, 130);
    await run(ex, "stubborn", ["sleep", "100"], { stopGracePeriodMs: 3000 });
    ex.ignoreSignals("stubborn", ["SIGTERM"]);
    let done = false;
    const stopping = ex.stop("stubborn").then((e) => ((done = true), e));
    await clock.advance(2999);
    assert.equal(done, false);
    assert.equal((await ex.inspect("stubborn")).status, "running");
    await clock.advance(1);
    assert.equal((await stopping).exitCode, 137);
    assert.equal(clock.pendingTimers, 0, "no timer is left behind");
    await assert.rejects(ex.stop("never", {}), NotFoundError);
    await ex.create({ id: "fresh", image: "busybox", cmd: ["true"] });
    await assert.rejects(ex.stop("fresh"), InvalidStateError);
    assert.deepEqual(kinds(events), ["start", "exit:130", "start", "exit:137"]);
  });

  it("simulates an OOM kill: oom event, exit 137, oomKilled", async () => {
    const { ex, events } = setup();
    await run(ex, "hog", ["sleep", "100"]);
    ex.simulateOom("hog");
    const exit = await ex.wait("hog");
    assert.deepEqual([exit.exitCode, exit.oomKilled], [137, true]);
    assert.equal((await ex.inspect("hog")).oomKilled, true);
    assert.deepEqual(kinds(events), ["start", "oom", "exit:137"]);
    assert.throws(() => ex.simulateOom("hog"), InvalidStateError);
  });

  it("follows health checks with Docker's rules: starting, healthy, unhealthy after `retries` failures", async () => {
    const { clock, ex, events } = setup();
    const healthcheck = { test: ["CMD-SHELL", "test -e /tmp/ok"], intervalMs: 1000, retries: 2 };
    await run(ex, "web", ["sleep", "1000"], { healthcheck });
    const health = async (): Promise<[string, number] | undefined> => {
      const h = (await ex.inspect("web")).health;
      return h && [h.status, h.failingStreak];
    };
    assert.deepEqual(await health(), ["starting", 0]);
    await clock.advance(1000);
    assert.deepEqual(await health(), ["starting", 1]);
    await ex.exec("web", { cmd: ["touch", "/tmp/ok"] });
    await clock.advance(1000);
    assert.deepEqual(await health(), ["healthy", 0]);
    await ex.exec("web", { cmd: ["rm", "/tmp/ok"] });
    await clock.advance(1000);
    assert.deepEqual(await health(), ["healthy", 1]);
    await clock.advance(1000);
    assert.deepEqual(await health(), ["unhealthy", 2]);
    const log = (await ex.inspect("web")).health?.log ?? [];
    assert.deepEqual(
      log.map((p) => p.exitCode),
      [1, 0, 1, 1],
    );
    assert.equal(log[1]?.start, "2026-11-23T10:00:02.000Z");
    for (let i = 0; i < 3; i++) await clock.advance(1000);
    assert.equal((await ex.inspect("web")).health?.log.length, 5, "the last 5 probes are kept");
    assert.deepEqual(kinds(events), ["start", "health:healthy", "health:unhealthy"]);
    await ex.stop("web");
    const probes = (await ex.inspect("web")).health?.log.length;
    await clock.advance(5000);
    assert.equal((await ex.inspect("web")).health?.log.length, probes, "no probes after exit");
  });

  it("ignores failures in the start period and counts a probe timeout as a failure", async () => {
    const { clock, ex } = setup();
    await run(ex, "slow", ["sleep", "1000"], {
      healthcheck: { test: ["CMD", "sleep", "5"], intervalMs: 1000, timeoutMs: 500, retries: 1, startPeriodMs: 4000 },
    });
    // Probes run 1000 ms after the previous one ended and take 500 ms (the timeout): they start at 1000, 2500, 4000.
    await clock.advance(3000);
    let h = (await ex.inspect("slow")).health;
    assert.deepEqual([h?.status, h?.failingStreak, h?.log.length], ["starting", 0, 2]);
    assert.deepEqual([h?.log[0]?.exitCode, h?.log[0]?.output], [-1, "Health check exceeded timeout (500ms)"]);
    await clock.advance(1500);
    h = (await ex.inspect("slow")).health;
    assert.deepEqual([h?.status, h?.failingStreak], ["unhealthy", 1]);
  });

  it("exec: timeout kills it with ExecTimeoutError; execs die with their container", async () => {
    const { clock, ex } = setup();
    await run(ex, "c", ["sleep", "1000"]);
    const timed = assert.rejects(
      ex.exec("c", { cmd: ["sleep", "10"], timeoutMs: 2000 }),
      (err: unknown) => err instanceof ExecTimeoutError && err.timeoutMs === 2000,
    );
    await clock.advance(2000);
    await timed;
    const long = ex.exec("c", { cmd: ["sleep", "10"] });
    assert.equal((await ex.stats("c")).pids, 2);
    await ex.kill("c", "KILL");
    assert.equal((await long).exitCode, 137);
    await assert.rejects(ex.exec("c", { cmd: ["nope"] }), InvalidSpecError);
  });

  it("merges spec and image like docker create, and rejects bad specs without leaving anything", async () => {
    const { host, ex } = setup();
    host.images.addImage(
      memoryImage("app:1", {
        entrypoint: ["sh", "-c"],
        cmd: ["env"],
        env: ["A=image", "B=image"],
        labels: { from: "image" },
      }),
    );
    await run(ex, "merged", [], { image: "app:1", cmd: ["env"], env: ["B=spec"], labels: { extra: "1" } });
    await ex.wait("merged");
    const out = [];
    for await (const e of ex.logs("merged")) out.push(e.line);
    // The same merge as the real runtime: PATH and HOSTNAME first, then the image's env, the spec's overriding.
    assert.deepEqual(out, [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n",
      "HOSTNAME=merged\n",
      "A=image\n",
      "B=spec\n",
    ]);
    const info = await ex.inspect("merged");
    assert.deepEqual([info.args, info.labels], [["sh", "-c", "env"], { from: "image", extra: "1" }]);
    const own = await ex.create({ id: "own", image: "app:1", entrypoint: ["echo"] });
    assert.deepEqual(own.args, ["echo"], "an entrypoint in the spec drops the image's Cmd");

    const bad: [Partial<ContainerSpec>, string][] = [
      [{ id: "-bad" }, "id"],
      [{ cmd: ["sh", "-c", "echo | cat"] }, "cmd"],
      [{ stopSignal: "SIGNOPE" }, "stopSignal"],
      [{ healthcheck: { test: ["CMD", "curl", "x"] } }, "healthcheck.test"],
      [
        {
          mounts: [
            { type: "volume", source: "ok", target: "/a" },
            { type: "volume", source: "../x", target: "/b" },
          ],
        },
        "mounts[1].source",
      ],
      [{ mounts: [{ type: "tmpfs", target: "rel" }] }, "mounts[0].target"],
    ];
    for (const [patch, field] of bad) {
      await assert.rejects(
        ex.create({ id: "x", image: "busybox", cmd: ["true"], ...patch }),
        (err: unknown) => err instanceof InvalidSpecError && err.field === field,
        field,
      );
    }
    await assert.rejects(
      ex.create({ id: "x", image: "missing", cmd: ["true"] }),
      (err: unknown) => err instanceof NotFoundError && err.kind === "image",
    );
    assert.deepEqual(
      (await ex.list()).map((c) => c.id),
      ["merged", "own"],
    );
    assert.deepEqual(await ex.volumes.list(), [], "a refused create makes no volume");
  });

  it("reports stats of running containers only", async () => {
    const { ex } = setup();
    await run(ex, "c", ["sleep", "100"], { resources: { memoryBytes: 64 << 20 } });
    ex.setStats("c", { memoryUsageBytes: 1234 });
    const s = await ex.stats("c");
    assert.deepEqual([s.memoryUsageBytes, s.memoryLimitBytes, s.pids, s.cpuUsageNs], [1234, 64 << 20, 1, 0]);
    await ex.stop("c");
    await assert.rejects(ex.stats("c"), InvalidStateError);
  });

  it("flushes a partial last line when the process ends, and follows on the manual clock", async () => {
    const { clock, ex } = setup();
    await run(ex, "c", ["sh", "-c", "echo -n no-newline; sleep 1; echo more"]);
    const lines: string[] = [];
    const following = (async () => {
      for await (const e of ex.logs("c", { follow: true })) lines.push(e.line);
    })();
    await clock.advance(1000);
    await following;
    assert.deepEqual(lines, ["no-newlinemore\n"]);
    await assert.rejects(async () => {
      for await (const _ of ex.logs("c", { tail: -1 })) break;
    }, InvalidSpecError);
  });

  it("survives an agent restart: a new executor re-adopts running containers and sees exits that happened meanwhile", async () => {
    const { clock, host, ex, events } = setup();
    await run(ex, "short", ["sleep", "10"]);
    await run(ex, "long", ["sleep", "1000"], { healthcheck: { test: ["CMD", "true"], intervalMs: 1000 } });
    await clock.advance(1000);
    assert.equal((await ex.inspect("long")).health?.status, "healthy");
    await ex.close();
    await assert.rejects(ex.inspect("long"), ExecutorClosedError);
    assert.throws(() => ex.subscribe(() => undefined), ExecutorClosedError);
    const before = events.length;
    await clock.advance(10_000);
    assert.equal(events.length, before, "a closed executor delivers no events");
    assert.equal(host.containers.get("long")?.healthState?.log.length, 1, "no probes while no executor is open");

    const ex2 = new MemoryExecutor(host);
    const short = await ex2.inspect("short");
    assert.deepEqual([short.status, short.exitCode, short.finishedAt], ["stopped", 0, "2026-11-23T10:00:10.000Z"]);
    assert.equal((await ex2.wait("short")).exitCode, 0);
    assert.equal((await ex2.inspect("long")).status, "running");
    await clock.advance(1000);
    assert.equal((await ex2.inspect("long")).health?.log.length, 2, "probes resume");
    assert.equal((await ex2.exec("long", { cmd: ["echo", "hi"] })).stdout, "hi\n");
    assert.equal((await ex2.stop("long")).exitCode, 143);
    await ex2.close();
  });
});
