// The orchestrator's restart policy: delays, attempts in a window, bounded history, global services.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schedule } from "../scheduler/tick.js";
import { reap } from "../reaper/reaper.js";
import { addTasks, liveTasks, seededStore, serviceSpec, setTaskStates, T0, testClock } from "../testing/fixtures.js";
import { pass, replicas } from "../testing/orchestration.js";

test("restart policy: a failed task is replaced after its delay, and the pass says when to look again", async () => {
  const clock = testClock();
  const store = await seededStore({
    clock: clock.now,
    nodes: ["a"],
    services: [
      [
        "web",
        serviceSpec("web", {
          ...replicas(1),
          taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 5_000 } },
        }),
      ],
    ],
  });
  const failedAt = T0 + 1_000;
  const [id = ""] = await addTasks(store, "web", [
    {
      slot: 1,
      nodeId: "a",
      status: { state: "failed", timestamp: new Date(failedAt).toISOString(), message: "exit 1" },
    },
  ]);
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
  const store = await seededStore({
    clock: clock.now,
    nodes: ["a"],
    services: [
      [
        "web",
        serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: policy } }),
      ],
    ],
  });
  const failed = (at: number) => ({
    slot: 1,
    nodeId: "a",
    status: { state: "failed" as const, timestamp: new Date(at).toISOString(), message: "" },
  });
  // Three tasks failed one after another: two restarts so far, the limit.
  for (let i = 0; i < 3; i++) await addTasks(store, "web", [failed(T0)]);
  assert.equal((await pass(store, T0 + 1_000)).commands.filter((c) => c.op === "create").length, 0);
  // A minute later the restarts fall out of the window: the slot may restart once more.
  clock.advance(120_000);
  assert.equal((await pass(store, T0 + 120_000)).commands.filter((c) => c.op === "create").length, 1);
});

test("a crash-looping task's history stays bounded: replaced tasks are told to stop, and the reaper keeps the retention", async () => {
  const clock = testClock();
  const store = await seededStore({
    clock: clock.now,
    cluster: { taskHistoryRetentionLimit: 3 },
    nodes: ["a"],
    services: [
      [
        "web",
        serviceSpec("web", {
          ...replicas(1),
          taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 0 } },
        }),
      ],
    ],
  });
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
  const store = await seededStore({
    clock: clock.now,
    cluster: { taskHistoryRetentionLimit: 2 },
    nodes: ["a"],
    services: [
      [
        "web",
        serviceSpec("web", { ...replicas(1), taskTemplate: { container: { image: "b" }, restartPolicy: policy } }),
      ],
    ],
  });
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
  const store = await seededStore({
    nodes: ["a"],
    services: [
      [
        "mon",
        serviceSpec("mon", {
          mode: { mode: "global" },
          taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 5_000 } },
        }),
      ],
    ],
  });
  await pass(store);
  const [first] = liveTasks(store.state, "mon");
  assert.deepEqual([first?.nodeId, first?.status.state], ["a", "new"]);
  await setTaskStates(store, [first?.id ?? ""], "failed", new Date(T0 + 1_000).toISOString());
  const early = await pass(store, T0 + 2_000);
  assert.deepEqual([early.commands.length, early.wakeAt], [0, T0 + 6_000]);
  await pass(store, T0 + 6_000);
  assert.equal(liveTasks(store.state, "mon").length, 1);
  assert.equal(store.state.get("task", first?.id ?? "")?.desiredState, "shutdown");
});
