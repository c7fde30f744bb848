// The orchestrator over the store: scaling, nodes down or removed, drain, removed services, rolling updates.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schedule } from "../scheduler/tick.js";
import {
  addTasks,
  changeNode,
  changeService,
  liveTasks,
  seededStore,
  serviceSpec,
  setTaskStates,
  T0,
} from "../testing/fixtures.js";
import { assertOneUnendedPerSlot, bySlot, converge, pass, replicas, running } from "../testing/orchestration.js";

test("scale up creates a task per missing slot, once; scale down stops the highest slots", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web", replicas(3))]] });
  await pass(store);
  assert.deepEqual(
    bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state, t.desiredState]),
    [
      [1, "new", "running"],
      [2, "new", "running"],
      [3, "new", "running"],
    ],
  );
  assert.equal((await pass(store)).commands.length, 0);
  await changeService(store, "web", (s) => ({ ...s, ...replicas(5) }));
  await pass(store);
  assert.deepEqual(
    bySlot(liveTasks(store.state, "web")).map((t) => t.slot),
    [1, 2, 3, 4, 5],
  );
  await converge(store, "web");
  await changeService(store, "web", (s) => ({ ...s, ...replicas(2) }));
  const p = await pass(store);
  const stopped = p.commands.map((c) =>
    c.op === "update" && c.kind === "task" ? [c.object.slot, c.object.desiredState] : c.op,
  );
  assert.deepEqual(stopped, [
    [5, "shutdown"],
    [4, "shutdown"],
    [3, "shutdown"],
  ]);
  await converge(store, "web");
  assert.deepEqual(
    bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state]),
    [
      [1, "running"],
      [2, "running"],
    ],
  );
});

test("a task told to stop before it reached a node ends at once", async () => {
  const store = await seededStore({ services: [["web", serviceSpec("web", replicas(0))]] });
  const [id = ""] = await addTasks(store, "web", [{ slot: 1, desiredState: "shutdown" }]);
  await pass(store, T0 + 5);
  const t = store.state.get("task", id);
  assert.deepEqual(
    [t?.status.state, t?.status.message, t?.status.timestamp],
    ["shutdown", "stopped before it was scheduled", new Date(T0 + 5).toISOString()],
  );
});

test("a node that goes down: its tasks are orphaned and replaced in their slots; pending while no other node is ready", async () => {
  const store = await seededStore({
    nodes: ["a", ["b", { availability: "drain" }]],
    services: [["web", serviceSpec("web", replicas(2))]],
  });
  await converge(store, "web");
  const before = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(
    before.map((t) => t.nodeId),
    ["a", "a"],
  );
  await changeNode(store, "a", { status: { state: "down" } });
  await pass(store);
  for (const old of before) {
    const t = store.state.get("task", old.id);
    assert.deepEqual(
      [t?.status.state, t?.desiredState, t?.status.message],
      ["orphaned", "shutdown", "node host-a is down: task replaced"],
    );
  }
  const replacements = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(
    replacements.map((t) => [t.slot, t.status.state]),
    [
      [1, "new"],
      [2, "new"],
    ],
  );
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
  for (const old of before)
    assert.deepEqual(
      [store.state.get("task", old.id)?.desiredState, store.state.get("task", old.id)?.status.state],
      ["shutdown", "running"],
    );
  assert.deepEqual(
    bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state]),
    [
      [1, "new"],
      [2, "new"],
    ],
  );
  await converge(store, "web");
  assert.deepEqual(
    liveTasks(store.state, "web").map((t) => [t.status.state, t.status.message]),
    Array(2).fill(["pending", "no suitable node (1 node: node availability is drain)"]),
  );
  for (const old of before) assert.equal(store.state.get("task", old.id)?.status.state, "shutdown");
  await changeNode(store, "a", { spec: { availability: "active" } });
  await converge(store, "web");
  assert.deepEqual(
    liveTasks(store.state, "web").map((t) => [t.nodeId, t.status.state]),
    Array(2).fill(["a", "running"]),
  );
});

test("a removed service's tasks: running ones are told to go (remove), ended or unplaced ones are deleted", async () => {
  const store = await seededStore({
    nodes: ["a", ["b", { state: "down" }]],
    services: [["web", serviceSpec("web", replicas(3))]],
  });
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
  await changeService(store, "web", (s) => ({
    ...s,
    taskTemplate: { ...s.taskTemplate, container: { ...s.taskTemplate.container, image: "busybox:2" } },
  }));
  const stoppedPerPass: number[] = [];
  await converge(store, "web", (p) => {
    stoppedPerPass.push(
      p.commands.filter(
        (c) => c.op === "update" && c.kind === "task" && old.has(c.object.id) && c.object.desiredState === "shutdown",
      ).length,
    );
    assertOneUnendedPerSlot(store.state, "web");
  });
  assert.deepEqual(
    stoppedPerPass.filter((n) => n > 0),
    [1, 1, 1],
  );
  const now = bySlot(liveTasks(store.state, "web"));
  assert.deepEqual(
    now.map((t) => [t.slot, t.status.state, t.spec.container.image, old.has(t.id)]),
    [1, 2, 3].map((s) => [s, "running", "busybox:2", false]),
  );
});

test("rolling update with parallelism 0 stops every slot in one pass; replacements start as the old tasks stop; the update completes", async () => {
  const store = await seededStore({
    nodes: ["a"],
    services: [["web", serviceSpec("web", { ...replicas(3), updateConfig: { parallelism: 0, monitorMs: 0 } })]],
  });
  await converge(store, "web");
  const old = new Set(liveTasks(store.state, "web").map((t) => t.id));
  await changeService(store, "web", (s) => ({
    ...s,
    taskTemplate: { ...s.taskTemplate, container: { ...s.taskTemplate.container, env: ["A=1"] } },
  }));
  const stoppedPerPass: number[] = [];
  await converge(store, "web", (p) => {
    stoppedPerPass.push(
      p.commands.filter(
        (c) => c.op === "update" && c.kind === "task" && old.has(c.object.id) && c.object.desiredState === "shutdown",
      ).length,
    );
    assertOneUnendedPerSlot(store.state, "web");
  });
  assert.deepEqual(
    stoppedPerPass.filter((n) => n > 0),
    [3],
  );
  assert.deepEqual(
    bySlot(liveTasks(store.state, "web")).map((t) => [t.slot, t.status.state, t.spec.container.env]),
    [1, 2, 3].map((s) => [s, "running", ["A=1"]]),
  );
  assert.equal(store.state.byName("service", "web")?.updateStatus?.state, "completed");
});
