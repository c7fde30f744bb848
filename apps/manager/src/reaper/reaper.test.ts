import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task } from "@shoal/api";
import type { ClusterStore } from "../store/cluster-store.js";
import { addTasks, seededStore, serviceSpec, T0 } from "../testing/fixtures.js";
import { reap } from "./reaper.js";

const ended = (state: Task["status"]["state"] = "failed"): Pick<Task, "status"> => ({
  status: { state, timestamp: new Date(T0).toISOString(), message: "" },
});

async function reaped(store: ClusterStore, retention: number): Promise<string[]> {
  const commands = reap(store.state, retention);
  await store.write(commands);
  return commands.map((c) => (c.op === "delete" ? c.id : "?"));
}

test("keeps the newest `retention` tasks per slot and deletes older ones that ended and are not desired to run", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web")]] });
  const slot1 = await addTasks(
    store,
    "web",
    [1, 2, 3, 4].map(() => ({ slot: 1, nodeId: "a", desiredState: "shutdown" as const, ...ended() })),
  );
  const [live = ""] = await addTasks(store, "web", [{ slot: 1, nodeId: "a" }]);
  const slot2 = await addTasks(store, "web", [
    { slot: 2, nodeId: "a", desiredState: "shutdown", ...ended("shutdown") },
  ]);
  assert.deepEqual((await reaped(store, 3)).sort(), slot1.slice(0, 2).sort());
  assert.ok(store.state.get("task", live));
  assert.ok(store.state.get("task", slot2[0] ?? ""));
  assert.deepEqual(await reaped(store, 3), []);
});

test("never deletes a task still desired to run or not ended, and always keeps the newest of a slot", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web")]] });
  const [failedDesired = "", stopping = ""] = await addTasks(store, "web", [
    { slot: 1, nodeId: "a", ...ended() },
    {
      slot: 1,
      nodeId: "a",
      desiredState: "shutdown",
      status: { state: "running", timestamp: new Date(T0).toISOString(), message: "" },
    },
  ]);
  const [newest = ""] = await addTasks(store, "web", [{ slot: 1, nodeId: "a", desiredState: "shutdown", ...ended() }]);
  assert.deepEqual(await reaped(store, 0), []);
  assert.ok(
    store.state.get("task", failedDesired) && store.state.get("task", stopping) && store.state.get("task", newest),
  );
});

test("global tasks are grouped per node", async () => {
  const store = await seededStore({
    nodes: ["a", "b"],
    services: [["mon", serviceSpec("mon", { mode: { mode: "global" } })]],
  });
  const onA = await addTasks(
    store,
    "mon",
    [1, 2, 3].map(() => ({ nodeId: "a", desiredState: "shutdown" as const, ...ended() })),
  );
  const onB = await addTasks(
    store,
    "mon",
    [1, 2].map(() => ({ nodeId: "b", desiredState: "shutdown" as const, ...ended() })),
  );
  assert.deepEqual(await reaped(store, 2), [onA[0]]);
  assert.equal(store.state.tasksOfNode("b").length, onB.length);
});

test("a restart limit keeps maxAttempts + 1 tasks of the slot, so the limit can still be counted", async () => {
  const spec = serviceSpec("web", { taskTemplate: { container: { image: "b" }, restartPolicy: { maxAttempts: 3 } } });
  const store = await seededStore({ nodes: ["a"], services: [["web", spec]] });
  const ids = await addTasks(
    store,
    "web",
    [1, 2, 3, 4, 5, 6].map(() => ({ slot: 1, nodeId: "a", desiredState: "shutdown" as const, ...ended() })),
  );
  assert.deepEqual((await reaped(store, 2)).sort(), ids.slice(0, 2).sort());
});
