import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExecTimeoutError, InvalidSpecError } from "../errors.js";
import type { HealthStatus } from "../types.js";
import { resolveHealthcheck, type ResolvedHealthcheck } from "./health-config.js";
import { HEALTH_OUTPUT_LIMIT, HealthMachine } from "./health-machine.js";
import { HealthMonitor, type HealthClock } from "./health-monitor.js";

/** A manual clock: timers fire only when the test advances time. `scheduled()` resolves at the next setTimeout. */
class FakeClock implements HealthClock {
  time = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  private waiters: (() => void)[] = [];

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    for (const w of this.waiters.splice(0)) w();
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  scheduled(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** Moves time forward by `ms`, firing the timers that come due in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
}

type Reply = { exitCode: number; output: string } | Error;

/** A probe whose calls the test answers one by one. */
class ScriptedProbe {
  calls: { argv: string[]; timeoutMs: number; answer: (r: Reply) => void }[] = [];
  readonly fn = (argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> =>
    new Promise((resolve, reject) => {
      this.calls.push({ argv, timeoutMs, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  last(): (r: Reply) => void {
    const call = this.calls.at(-1);
    assert.ok(call, "a probe is running");
    return call.answer;
  }
}

const check = (over: Partial<ResolvedHealthcheck> = {}): ResolvedHealthcheck => ({
  argv: ["/bin/true"],
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 3,
  startPeriodMs: 0,
  ...over,
});

function setup(over: Partial<ResolvedHealthcheck> = {}) {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  const transitions: HealthStatus[] = [];
  const monitor = new HealthMonitor({
    check: check(over),
    probe: probe.fn,
    clock,
    onTransition: (status) => transitions.push(status),
  });
  /** Fires the next probe, answers it and waits until the monitor has scheduled the one after. */
  const step = async (reply: Reply) => {
    clock.advance(over.intervalMs ?? 1000);
    const next = clock.scheduled();
    probe.last()(reply);
    await next;
  };
  return { clock, probe, transitions, monitor, step };
}

const ok = { exitCode: 0, output: "fine\n" };
const bad = { exitCode: 1, output: "down\n" };

describe("resolveHealthcheck", () => {
  it("applies Docker's defaults and turns the test into argv", () => {
    assert.deepEqual(resolveHealthcheck({ test: ["CMD-SHELL", "curl -f localhost"] }), {
      argv: ["/bin/sh", "-c", "curl -f localhost"],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
    });
    const r = resolveHealthcheck({ test: ["CMD", "pg_isready", "-q"], intervalMs: 5, retries: 1, startPeriodMs: 9 });
    assert.deepEqual(r?.argv, ["pg_isready", "-q"]);
    assert.equal(r?.intervalMs, 5);
    assert.equal(r?.retries, 1);
    assert.equal(r?.startPeriodMs, 9);
  });

  it("means no check for an absent config, an empty test and NONE", () => {
    assert.equal(resolveHealthcheck(undefined), undefined);
    assert.equal(resolveHealthcheck({ test: [] }), undefined);
    assert.equal(resolveHealthcheck({ test: ["NONE"] }), undefined);
  });

  for (const [name, config, field] of [
    ["an unknown kind", { test: ["RUN", "x"] }, "healthcheck.test"],
    ["CMD without a program", { test: ["CMD"] }, "healthcheck.test"],
    ["CMD-SHELL with two strings", { test: ["CMD-SHELL", "a", "b"] }, "healthcheck.test"],
    ["a negative interval", { test: ["CMD", "x"], intervalMs: -1 }, "healthcheck.intervalMs"],
    ["a fractional retries", { test: ["CMD", "x"], retries: 1.5 }, "healthcheck.retries"],
  ] as const) {
    it(`refuses ${name}, naming the field`, () => {
      assert.throws(
        () => resolveHealthcheck({ ...config, test: [...config.test] }),
        (err: unknown) => err instanceof InvalidSpecError && err.field === field,
      );
    });
  }
});

describe("HealthMachine", () => {
  const at = (startMs: number, exitCode: number, output = "") => ({ startMs, endMs: startMs + 1, exitCode, output });

  it("goes starting -> healthy -> unhealthy after `retries` failures, and back on a success", () => {
    const m = new HealthMachine({ retries: 2, startPeriodMs: 0 }, 0);
    assert.equal(m.state.status, "starting");
    assert.equal(m.record(at(10, 1)), undefined, "one failure is not enough");
    assert.equal(m.state.failingStreak, 1);
    assert.equal(m.record(at(20, 0)), "healthy");
    assert.equal(m.state.failingStreak, 0);
    assert.equal(m.record(at(30, 1)), undefined);
    assert.equal(m.record(at(40, 2)), "unhealthy", "any non-zero exit code is a failure");
    assert.equal(m.state.failingStreak, 2);
    assert.equal(m.record(at(50, 0)), "healthy");
  });

  it("does not count failures in the start period while starting, but does once healthy", () => {
    const m = new HealthMachine({ retries: 1, startPeriodMs: 100 }, 1000);
    assert.equal(m.record(at(1050, 1)), undefined);
    assert.equal(m.state.failingStreak, 0);
    assert.equal(m.record(at(1060, 0)), "healthy", "a success in the start period counts");
    assert.equal(m.record(at(1070, 1)), "unhealthy");
    const late = new HealthMachine({ retries: 1, startPeriodMs: 100 }, 1000);
    assert.equal(late.record(at(1100, 1)), "unhealthy", "the start period has ended at start + period");
  });

  it("keeps the last 5 results with output capped at 4 KiB on a character boundary", () => {
    const m = new HealthMachine({ retries: 3, startPeriodMs: 0 }, 0);
    for (let i = 0; i < 7; i++) m.record(at(i * 1000, i, `run ${i}`));
    const log = m.state.log;
    assert.deepEqual(
      log.map((r) => r.output),
      ["run 2", "run 3", "run 4", "run 5", "run 6"],
    );
    assert.equal(log[0]?.start, new Date(2000).toISOString());
    m.record(at(9000, 0, "x" + "é".repeat(HEALTH_OUTPUT_LIMIT)));
    const out = m.state.log.at(-1)?.output ?? "";
    assert.equal(Buffer.byteLength(out), HEALTH_OUTPUT_LIMIT - 1, "a two-byte character is not cut");
    assert.ok(!out.includes("\ufffd"));
  });
});

describe("HealthMonitor", () => {
  it("probes every interval after the previous probe and reports starting -> healthy -> unhealthy", async () => {
    const { clock, probe, transitions, monitor, step } = setup();
    monitor.start();
    clock.advance(999);
    assert.equal(probe.calls.length, 0, "the first probe waits one interval");
    clock.advance(1);
    assert.deepEqual(probe.calls[0]?.argv, ["/bin/true"]);
    assert.equal(probe.calls[0]?.timeoutMs, 500);
    const next = clock.scheduled();
    probe.last()(ok);
    await next;
    assert.deepEqual(transitions, ["healthy"]);
    await step(bad);
    await step(bad);
    assert.equal(monitor.state.failingStreak, 2);
    assert.deepEqual(transitions, ["healthy"]);
    await step(bad);
    assert.deepEqual(transitions, ["healthy", "unhealthy"]);
    assert.equal(monitor.state.log.length, 4);
    monitor.stop();
  });

  it("counts a timeout and a probe that cannot run as failures", async () => {
    const { monitor, step, transitions } = setup({ retries: 2 });
    monitor.start();
    await step(new ExecTimeoutError("c1", 500));
    await step(new Error("no such container"));
    assert.deepEqual(transitions, ["unhealthy"]);
    const log = monitor.state.log;
    assert.deepEqual(
      log.map((r) => r.exitCode),
      [-1, -1],
    );
    assert.match(log[0]?.output ?? "", /exceeded timeout \(500 ms\)/);
    assert.match(log[1]?.output ?? "", /could not run: no such container/);
    monitor.stop();
  });

  it("ignores failures during the start period", async () => {
    const { monitor, step, transitions } = setup({ retries: 1, startPeriodMs: 2500 });
    monitor.start();
    await step(bad); // at +1000
    await step(bad); // at +2000
    assert.equal(monitor.state.status, "starting");
    assert.equal(monitor.state.failingStreak, 0);
    await step(bad); // at +3000: past the start period
    assert.deepEqual(transitions, ["unhealthy"]);
    monitor.stop();
  });

  it("never runs two probes at once: the next interval starts when a slow probe ends", async () => {
    const { clock, probe, monitor } = setup();
    monitor.start();
    clock.advance(1000);
    clock.advance(5000);
    assert.equal(probe.calls.length, 1);
    assert.equal(clock.pending, 0, "nothing is scheduled while a probe runs");
    const next = clock.scheduled();
    probe.last()(ok);
    await next;
    clock.advance(999);
    assert.equal(probe.calls.length, 1);
    clock.advance(1);
    assert.equal(probe.calls.length, 2);
    monitor.stop();
  });

  it("stop() cancels the next probe and drops the result of one in flight", async () => {
    const { clock, probe, monitor, transitions } = setup();
    monitor.start();
    clock.advance(1000);
    monitor.stop();
    probe.last()(ok);
    // The monitor's continuation runs after the probe's promise settles; give it that turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(transitions, []);
    assert.equal(monitor.state.log.length, 0);
    assert.equal(clock.pending, 0);
    clock.advance(10_000);
    assert.equal(probe.calls.length, 1);

    const idle = setup();
    idle.monitor.start();
    idle.monitor.stop();
    assert.equal(idle.clock.pending, 0);
    idle.clock.advance(10_000);
    assert.equal(idle.probe.calls.length, 0);
  });
});
