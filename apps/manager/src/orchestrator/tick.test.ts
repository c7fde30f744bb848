import assert from "node:assert/strict";
import { test } from "node:test";
import { isTerminal, type Task } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import type { ClusterStore } from "../store/cluster-store.js";
import { schedule } from "../scheduler/tick.js";
import { reap } from "../reaper/reaper.js";
import { addTasks, changeNode, changeService, liveTasks, seededStore, serviceSpec, setTaskStates, T0, testClock } from "../testing/fixtures.js";
import { orchestrate, type OrchestratorPass } from "./tick.js";

let ids = 0;
const newId = () => `o${++ids}`;

/** One orchestrator pass at `now`, committed. */
async function pass(store: ClusterStore, now = T0): Promise<OrchestratorPass> {
  const p = orchestrate(store.state, now, newId);
  await store.write(p.commands);
  return p;
}

/** What a well-behaved agent does with its tasks: runs the assigned ones, stops the ones told to stop. */
async function agentStep(store: ClusterStore): Promise<number> {
  const tasks = store.state.list("task").filter((t) => t.nodeId && !isTerminal(t.status.state));
  const run = tasks.filter((t) => t.desiredState === "running" && t.status.state !== "running").map((t) => t.id);
  const stop = tasks.filter((t) => t.desiredState !== "running").map((t) => t.id);
  if (run.length) await setTaskStates(store, run, "running");
  if (stop.length) await setTaskStates(store, stop, "shutdown");
  return run.length + stop.length;
}

/** Orchestrator, scheduler and agent in turn until nothing changes; checks the slot invariant after every step. */
async function converge(store: ClusterStore, serviceId: string, onPass: (p: OrchestratorPass) => void = () => {}): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const p = await pass(store);
    onPass(p);
    assertOneLivePerSlot(store.state, serviceId);
    const scheduled = schedule(store.state, T0);
    await store.write(scheduled);
    const acted = await agentStep(store);
    assertOneLivePerSlot(store.state, serviceId);
    if (p.commands.length === 0 && scheduled.length === 0 && acted === 0) return;
  }
  assert.fail("the cluster did not settle in 50 rounds");
}

function assertOneLivePerSlot(state: StoreState, serviceId: string): void {
  const seen = new Set<number>();
  for (const t of liveTasks(state, serviceId)) {
    assert.ok(t.slot !== undefined && !seen.has(t.slot), `two live tasks in slot ${t.slot}`);
    seen.add(t.slot);
  }
}

/** Stop-first: a slot never has two tasks that have not ended, even while the old one is stopping. */
function assertOneUnendedPerSlot(state: StoreState, serviceId: string): void {
  const seen = new Set<number>();
  for (const t of state.tasksOfService(serviceId)) {
    if (isTerminal(t.status.state)) continue;
    assert.ok(t.slot !== undefined && !seen.has(t.slot), `slot ${t.slot} has a replacement while its old task has not stopped`);
    seen.add(t.slot);
  }
}

const bySlot = (tasks: readonly Task[]) => [...tasks].sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
const replicas = (n: number) => ({ mode: { mode: "replicated" as const, replicas: n } });
const running = { state: "running" as const, timestamp: new Date(T0).toISOString(), message: "" };

test("scale up creates a task per missing slot, once; scale down stops the highest slots", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web", replicas(3))]] });
  await pass(store);
  assert.deepEqual(bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state, t.desiredState]), [[1, "new", "running"], [2, "new", "running"], [3, "new", "running"]]);
  assert.equal((await pass(store)).commands.length, 0);
  await changeService(store, "web", (s) => ({ ...s, ...replicas(5) }));
  await pass(store);
  assert.deepEqual(bySlot(liveTasks(store.state, "web")).map((t) => t.slot), [1, 2, 3, 4, 5]);
  await converge(store, "web");
  await changeService(store, "web", (s) => ({ ...s, ...replicas(2) }));
  const p = await pass(store);
  const stopped = p.commands.map((c) => (c.op === "update" && c.kind === "task" ? [c.object.slot, c.object.desiredState] : c.op));
  assert.deepEqual(stopped, [[5, "shutdown"], [4, "shutdown"], [3, "shutdown"]]);
  await converge(store, "web");
  assert.deepEqual(bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state]), [[1, "running"], [2, "running"]]);
});

test("a task told to stop before it reached a node ends at once", async () => {
  const store = await seededStore({ services: [["web", serviceSpec("web", replicas(0))]] });
  const [id = ""] = await addTasks(store, "web", [{ slot: 1, desiredState: "shutdown" }]);
  await pass(store, T0 + 5);
  const t = store.state.get("task", id);
  assert.deepEqual([t?.status.state, t?.status.message, t?.status.timestamp], ["shutdown", "stopped before it was scheduled", new Date(T0 + 5).toISOString()]);
});

test("a node that goes down: its tasks are orphaned and replaced in their slots; pending while no other node is ready", async () => {
  const store = await seededStore({ nodes: ["a", ["b", { availability: "drain" }]], services: [["web", serviceSpec("web", replicas(2))]] });
  await converge(store, "web");
  const before = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(before.map((t) => t.nodeId), ["a", "a"]);
  await changeNode(store, "a", { status: { state: "down" } });
  await pass(store);
  for (const old of before) {
    const t = store.state.get("task", old.id);
    assert.deepEqual([t?.status.state, t?.desiredState, t?.status.message], ["orphaned", "shutdown", "node host-a is down: task replaced"]);
  }
  const replacements = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(replacements.map((t) => [t.slot, t.status.state]), [[1, "new"], [2, "new"]]);
  await store.write(schedule(store.state, T0));
  assert.deepEqual(
    liveTasks(store.state, "web").map((t) => t.status.message),
    Array(2).fill("no suitable node (1 node: node is down; 1 node: node availability is drain)"),
  );
});

test("a removed node's tasks are orphaned too", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web", replicas(1))]] });
  await converge(store, "web");
  const [old] = liveTasks(store.state, "web");
  await store.write([{ op: "delete", kind: "node", id: "a" }]);
  await pass(store);
  assert.equal(store.state.get("task", old?.id ?? "")?.status.message, "node was removed: task replaced");
  assert.equal(liveTasks(store.state, "web").length, 1);
});

test("drain: tasks are told to shut down and replacements wait with the drain as reason; activate places them again", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web", replicas(2))]] });
  await converge(store, "web");
  const before = liveTasks(store.state, "web");
  await changeNode(store, "a", { spec: { availability: "drain" } });
  await pass(store);
  for (const old of before) assert.deepEqual([store.state.get("task", old.id)?.desiredState, store.state.get("task", old.id)?.status.state], ["shutdown", "running"]);
  assert.deepEqual(bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state]), [[1, "new"], [2, "new"]]);
  await converge(store, "web");
  assert.deepEqual(liveTasks(store.state, "web").map((t) => [t.status.state, t.status.message]), Array(2).fill(["pending", "no suitable node (1 node: node availability is drain)"]));
  for (const old of before) assert.equal(store.state.get("task", old.id)?.status.state, "shutdown");
  await changeNode(store, "a", { spec: { availability: "active" } });
  await converge(store, "web");
  assert.deepEqual(liveTasks(store.state, "web").map((t) => [t.nodeId, t.status.state]), Array(2).fill(["a", "running"]));
});

test("a removed service's tasks: running ones are told to go (remove), ended or unplaced ones are deleted", async () => {
  const store = await seededStore({ nodes: ["a", ["b", { state: "down" }]], services: [["web", serviceSpec("web", replicas(3))]] });
  const iso = new Date(T0).toISOString();
  const [onA = "", ended = "", unplaced = "", onDown = ""] = await addTasks(store, "web", [
    { slot: 1, nodeId: "a", status: running },
    { slot: 2, nodeId: "a", status: { state: "failed", timestamp: iso, message: "" } },
    { slot: 3 },
    { slot: 4, nodeId: "b", status: running },
  ]);
  await store.write([{ op: "delete", kind: "service", id: "web" }]);
  await pass(store);
  assert.equal(store.state.get("task", onA)?.desiredState, "remove");
  for (const id of [ended, unplaced, onDown]) assert.equal(store.state.get("task", id), undefined, id);
  assert.equal((await pass(store)).commands.length, 0);
  await setTaskStates(store, [onA], "shutdown");
  await pass(store);
  assert.equal(store.state.list("task").length, 0);
});

test("rolling update with parallelism 1: one slot at a time, the next once the replacement runs, never two live tasks in a slot", async () => {
  const store = await seededStore({ nodes: ["a", "b"], services: [["web", serviceSpec("web", replicas(3))]] });
  await converge(store, "web");
  const old = new Set(liveTasks(store.state, "web").map((t) => t.id));
  await changeService(store, "web", (s) => ({ ...s, taskTemplate: { ...s.taskTemplate, container: { ...s.taskTemplate.container, image: "busybox:2" } } }));
  const stoppedPerPass: number[] = [];
  await converge(store, "web", (p) => {
    stoppedPerPass.push(p.commands.filter((c) => c.op === "update" && c.kind === "task" && old.has(c.object.id) && c.object.desiredState === "shutdown").length);
    assertOneUnendedPerSlot(store.state, "web");
  });
  assert.deepEqual(stoppedPerPass.filter((n) => n > 0), [1, 1, 1]);
  const now = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(now.map((t) => [t.slot, t.status.state, t.spec.container.image, old.has(t.id)]), [1, 2, 3].map((s) => [s, "running", "busybox:2", false]));
});

test("rolling update with parallelism 0 stops every slot in one pass; replacements start as the old tasks stop; the update completes", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web", { ...replicas(3), updateConfig: { parallelism: 0, monitorMs: 0 } })]] });
  await converge(store, "web");
  const old = new Set(liveTasks(store.state, "web").map((t) => t.id));
  await changeService(store, "web", (s) => ({ ...s, taskTemplate: { ...s.taskTemplate, container: { ...s.taskTemplate.container, env: ["A=1"] } } }));
  const stoppedPerPass: number[] = [];
  await converge(store, "web", (p) => {
    stoppedPerPass.push(p.commands.filter((c) => c.op === "update" && c.kind === "task" && old.has(c.object.id) && c.object.desiredState === "shutdown").length);
    assertOneUnendedPerSlot(store.state, "web");
  });
  assert.deepEqual(stoppedPerPass.filter((n) => n > 0), [3]);
  assert.deepEqual(bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state, t.spec.container.env]), [1, 2, 3].map((s) => [s, "running", ["A=1"]]));
  assert.equal(store.state.byName("service", "web")?.updateStatus?.state, "completed");
});

test("restart policy: a failed task is replaced after its delay, and the pass says when to look again", async () => {
  const clock = testClock();
  const store = await seededStore({ clock: clock.now, nodes: ["a"], services: [["web", serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 5_000 } } })]] });
  const failedAt = T0 + 1_000;
  const [id = ""] = await addTasks(store, "web", [{ slot: 1, nodeId: "a", status: { state: "failed", timestamp: new Date(failedAt).toISOString(), message: "exit 1" } }]);
  const early = await pass(store, failedAt + 1_000);
  assert.deepEqual([early.commands, early.wakeAt], [[], failedAt + 5_000]);
  clock.advance(10_000);
  const late = await pass(store, failedAt + 5_000);
  assert.equal(late.wakeAt, undefined);
  const [replacement] = liveTasks(store.state, "web");
  assert.equal(replacement?.slot, 1);
  assert.notEqual(replacement?.id, id);
});

test("restart policy: maxAttempts counts only restarts inside the window", async () => {
  const clock = testClock();
  const policy = { delayMs: 0, maxAttempts: 2, windowMs: 60_000 };
  const store = await seededStore({ clock: clock.now, nodes: ["a"], services: [["web", serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: policy } })]] });
  const failed = (at: number) => ({ slot: 1, nodeId: "a", status: { state: "failed" as const, timestamp: new Date(at).toISOString(), message: "" } });
  // Three tasks failed one after another: two restarts so far, the limit.
  for (let i = 0; i < 3; i++) await addTasks(store, "web", [failed(T0)]);
  assert.equal((await pass(store, T0 + 1_000)).commands.filter((c) => c.op === "create").length, 0);
  // A minute later the restarts fall out of the window: the slot may restart once more.
  clock.advance(120_000);
  assert.equal((await pass(store, T0 + 120_000)).commands.filter((c) => c.op === "create").length, 1);
});

test("a crash-looping task's history stays bounded: replaced tasks are told to stop, and the reaper keeps the retention", async () => {
  const clock = testClock();
  const store = await seededStore({ clock: clock.now, cluster: { taskHistoryRetentionLimit: 3 }, nodes: ["a"], services: [["web", serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 0 } } })]] });
  for (let i = 0; i < 10; i++) {
    await pass(store, clock.now());
    await store.write(schedule(store.state, clock.now()));
    const [live] = liveTasks(store.state, "web");
    assert.ok(live);
    await setTaskStates(store, [live.id], "failed", new Date(clock.now()).toISOString());
    await store.write(reap(store.state, 3));
  }
  await pass(store, clock.now());
  const tasks = store.state.tasksOfService("web");
  assert.ok(tasks.length <= 4, `${tasks.length} tasks kept`);
  assert.equal(tasks.filter((t) => t.desiredState === "running").length, 1, "only the newest task is desired running");
});

test("restart limits above the history retention still stop the restarts", async () => {
  const clock = testClock();
  const policy = { delayMs: 0, maxAttempts: 6 };
  const store = await seededStore({ clock: clock.now, cluster: { taskHistoryRetentionLimit: 2 }, nodes: ["a"], services: [["web", serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: policy } })]] });
  let created = 0;
  for (let i = 0; i < 12; i++) {
    created += (await pass(store, clock.now())).commands.filter((c) => c.op === "create").length;
    const [live] = liveTasks(store.state, "web");
    if (live) await setTaskStates(store, [live.id], "failed", new Date(clock.now()).toISOString());
    await store.write(reap(store.state, 2));
  }
  assert.equal(created, 1 + policy.maxAttempts);
});

test("a global service's failed task is restarted after its delay: the pass says when to look again", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["mon", serviceSpec("mon", { mode: { mode: "global" }, taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 5_000 } } })]] });
  await pass(store);
  const [first] = liveTasks(store.state, "mon");
  assert.deepEqual([first?.nodeId, first?.status.state], ["a", "assigned"]);
  await setTaskStates(store, [first?.id ?? ""], "failed", new Date(T0 + 1_000).toISOString());
  const early = await pass(store, T0 + 2_000);
  assert.deepEqual([early.commands.length, early.wakeAt], [0, T0 + 6_000]);
  await pass(store, T0 + 6_000);
  assert.equal(liveTasks(store.state, "mon").length, 1);
  assert.equal(store.state.get("task", first?.id ?? "")?.desiredState, "shutdown");
});
