import assert from "node:assert/strict";
import { test } from "node:test";
import { applyEvents, fromSnapshot, serviceRows, tasksOnNode, totals, taskName, FEED_LIMIT } from "./model.js";
import { event, network, node, service, task } from "./testing.js";

const snapshot = () =>
  fromSnapshot({
    index: 10,
    nodes: [node("n1", { hostname: "alpha", role: "manager" })],
    services: [service("s1", { name: "web", replicas: 3, version: 5 })],
    tasks: [
      task("t1", "s1", { slot: 1, nodeId: "n1", version: 8 }),
      task("t2", "s1", { slot: 2, nodeId: "n1", state: "starting", version: 9 }),
    ],
    networks: [network("w1", "front")],
  });

test("a service's bar counts running tasks that should run against the replicas wanted", () => {
  const m = snapshot();
  const [row] = serviceRows(m);
  assert.deepEqual(row?.counts, { runningTasks: 1, desiredTasks: 3, completedTasks: 0 });
  assert.equal(row?.converged, 1 / 3);
  const after = applyEvents(
    m,
    [
      event("update", "task", task("t2", "s1", { slot: 2, nodeId: "n1", version: 11 })),
      event("create", "task", task("t3", "s1", { slot: 3, nodeId: "n1", version: 12 })),
    ],
    0,
  );
  assert.equal(serviceRows(after)[0]?.converged, 1);
  assert.equal(after.index, 12);
});

test("events the snapshot already holds are skipped, so a replay from before the lists does not go back in time", () => {
  const m = snapshot();
  // t1 at version 8 in the snapshot; a replayed update from index 7 saying it was still starting is older.
  const replay = applyEvents(
    m,
    [event("update", "task", task("t1", "s1", { slot: 1, nodeId: "n1", state: "starting", version: 7 }))],
    0,
  );
  assert.equal(replay.tasks.get("t1")?.status.state, "running");
  assert.equal(replay.feed.length, 0);
  // A removal at an index before the object's version is just as old.
  const oldDelete = applyEvents(m, [event("delete", "service", service("s1", { version: 4 }), 4)], 0);
  assert.ok(oldDelete.services.has("s1"));
  const realDelete = applyEvents(m, [event("delete", "service", service("s1", { version: 5 }), 13)], 0);
  assert.equal(realDelete.services.has("s1"), false);
});

test("the feed says what changed, newest first, and is bounded", () => {
  let m = snapshot();
  m = applyEvents(
    m,
    [
      event(
        "update",
        "task",
        task("t2", "s1", { slot: 2, nodeId: "n1", state: "failed", exitCode: 3, err: "boom", version: 11 }),
      ),
    ],
    0,
  );
  m = applyEvents(
    m,
    [event("update", "node", node("n1", { hostname: "alpha", role: "manager", state: "down", version: 12 }))],
    0,
  );
  assert.deepEqual(
    m.feed.map((f) => [f.tone, f.text]),
    [
      ["bad", "node alpha down"],
      ["bad", "task web.2 failed on alpha (exit code 3): boom"],
    ],
  );
  const many = Array.from({ length: FEED_LIMIT + 20 }, (_, i) =>
    event("create", "network", network(`x${i}`, `net${i}`), 100 + i),
  );
  assert.equal(applyEvents(m, many, 0).feed.length, FEED_LIMIT);
  assert.equal(applyEvents(m, many, 0).feed[0]?.text, `network net${FEED_LIMIT + 19} created`);
});

test("a snapshot after a reconnection replaces the objects and keeps the feed", () => {
  const m = applyEvents(snapshot(), [event("create", "network", network("w2", "back"), 20)], 0);
  const again = fromSnapshot({ index: 15, nodes: [], services: [], tasks: [], networks: [] }, m);
  assert.equal(again.services.size, 0);
  assert.equal(again.feed.length, 1);
  assert.equal(again.index, 20, "the index never goes back");
});

test("totals, a node's tasks and task names", () => {
  const m = applyEvents(
    snapshot(),
    [
      event(
        "create",
        "task",
        task("t9", "s1", { slot: 4, state: "pending", version: 14, message: "no suitable node" }),
      ),
    ],
    0,
  );
  assert.deepEqual(totals(m), {
    nodes: 1,
    nodesReady: 1,
    managers: 1,
    services: 1,
    tasksDesired: 3,
    tasksRunning: 1,
    tasksPending: 1,
    tasksFailed: 0,
  });
  assert.deepEqual(
    tasksOnNode(m, "n1").map((t) => t.id),
    ["t1", "t2"],
  );
  assert.equal(taskName(m, m.tasks.get("t2")!), "web.2");
});
