import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task, TaskState } from "@shoal/api";
import { quietLog } from "./log.js";
import type { Action, LocalContainer } from "./reconcile.js";
import { ReconcileLoop } from "./reconcile-loop.js";
import { makeTask } from "./testing/tasks.js";

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * A loop over in-memory tasks and containers: a `run` action makes the task's container run and reports it
 * running (after the task's gate in `runGates`, if any); a `report` records its state, a `stop` stops the
 * container and a `remove` removes it. Reads of the containers wait at `readGate` while it is set.
 */
class LoopHarness {
  readonly tasks = new Map<string, Task>();
  readonly containers = new Map<string, LocalContainer>();
  readonly reported = new Map<string, TaskState>();
  readonly actions: Action[] = [];
  readonly runGates = new Map<string, Promise<void>>();
  readGate: Promise<void> | undefined;
  /** Resolved at the start of the next read of the containers. */
  private readWaiters: (() => void)[] = [];
  private passWaiters: (() => void)[] = [];
  mayRemoveUnassigned = true;
  stopping = false;
  passes = 0;
  reading = 0;
  maxReading = 0;
  readonly loop = new ReconcileLoop({
    tasks: () => this.tasks,
    containers: async () => {
      this.reading++;
      this.maxReading = Math.max(this.maxReading, this.reading);
      const seen = new Map(this.containers);
      for (const wake of this.readWaiters.splice(0)) wake();
      await this.readGate;
      this.reading--;
      return seen;
    },
    attachments: () => Promise.resolve(new Map<string, string>()),
    mayRemoveUnassigned: () => this.mayRemoveUnassigned,
    reporter: { states: () => this.reported, forget: (id) => this.reported.delete(id) },
    run: async (a) => {
      this.actions.push(a);
      if (a.type === "report") this.reported.set(a.taskId, a.status.state);
      if (a.type === "stop") this.containers.set(a.taskId, { status: "stopped", exitCode: 137, oomKilled: false });
      if (a.type === "remove") this.containers.delete(a.taskId);
      if (a.type !== "run") return;
      await this.runGates.get(a.task.id);
      this.containers.set(a.task.id, { status: "running", oomKilled: false });
      this.reported.set(a.task.id, "running");
    },
    afterPass: () => {
      this.passes++;
      for (const wake of this.passWaiters.splice(0)) wake();
      return Promise.resolve();
    },
    stopping: () => this.stopping,
    log: quietLog,
  });

  nextRead(): Promise<void> {
    return new Promise((r) => this.readWaiters.push(r));
  }

  nextPassEnd(): Promise<void> {
    return new Promise((r) => this.passWaiters.push(r));
  }

  /** Assigns a task and lets a pass start it, its run held until the returned function is called. */
  async startHeld(id: string): Promise<() => void> {
    this.tasks.set(id, makeTask(id));
    const run = gate();
    this.runGates.set(id, run.promise);
    const ended = this.nextPassEnd();
    this.loop.schedule();
    await ended;
    return run.open;
  }

  runsOf(id: string): number {
    return this.actions.filter((a) => a.type === "run" && a.task.id === id).length;
  }
}

test("reconcile loop: passes never overlap, and the passes asked for during one make a single more", async () => {
  const h = new LoopHarness();
  const read = gate();
  h.readGate = read.promise;
  const reading = h.nextRead();
  h.loop.schedule();
  await reading;
  for (let i = 0; i < 5; i++) h.loop.schedule();
  const ended = h.nextPassEnd();
  read.open();
  await ended;
  await h.loop.idle();
  assert.equal(h.passes, 2);
  assert.equal(h.maxReading, 1);
});

test("reconcile loop: a task under way is not acted on again; the pass its end schedules sees it done", async () => {
  const h = new LoopHarness();
  const release = await h.startHeld("t1");
  h.loop.schedule();
  await h.nextPassEnd();
  assert.equal(h.runsOf("t1"), 1, "busy while its action runs");
  release();
  await h.nextPassEnd();
  await h.loop.idle();
  assert.equal(h.runsOf("t1"), 1);
  assert.equal(h.containers.get("t1")?.status, "running");
});

test("reconcile loop: a task whose action ends while a pass reads the node is left to the next pass", async () => {
  // The pass read the containers before t1's container existed; acting on that read would take t1 for gone.
  const h = new LoopHarness();
  const release = await h.startHeld("t1");
  const read = gate();
  h.readGate = read.promise;
  const reading = h.nextRead();
  h.tasks.set("t2", makeTask("t2"));
  h.loop.schedule();
  await reading; // this pass has read the node without t1's container
  release();
  await new Promise((r) => setImmediate(r)); // t1's action ends during the read
  h.readGate = undefined;
  read.open();
  await h.nextPassEnd();
  await h.loop.idle();
  assert.deepEqual(
    h.actions.filter((a) => a.type === "report" && a.taskId === "t1"),
    [],
    "no report of a missing container",
  );
  assert.equal(h.runsOf("t1"), 1);
  assert.equal(h.runsOf("t2"), 1);
});

test("reconcile loop: reports of tasks gone from the set and the node are forgotten only when unassigned ones may go", async () => {
  const h = new LoopHarness();
  h.reported.set("gone", "complete");
  h.mayRemoveUnassigned = false;
  h.loop.schedule();
  await h.nextPassEnd();
  assert.equal(h.reported.get("gone"), "complete", "kept before a full set");
  h.mayRemoveUnassigned = true;
  h.loop.schedule();
  await h.nextPassEnd();
  assert.equal(h.reported.has("gone"), false);
});

test("reconcile loop: idle waits for the actions under way, and a stopping agent starts no pass", async () => {
  const h = new LoopHarness();
  const release = await h.startHeld("t1");
  h.stopping = true;
  let idle = false;
  const waiting = h.loop.idle().then(() => (idle = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false, "t1's action is under way");
  release();
  await waiting;
  assert.equal(h.passes, 1, "the end of t1's action scheduled no pass");
});
