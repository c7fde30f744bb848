// The agent's session with the managers: restarts and adoption, full sets and deltas, node ids, join refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UnknownNodeError } from "./errors.js";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";
import { Harness } from "./testing/agent-harness.js";

test("agent: a restarted agent adopts its running containers and restarts nothing", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1"));
  await h.waitState("t1", "running");
  const nodeId = h.nodeId;
  const before = h.container("t1");
  const pid = before?.pid;
  const startedAt = before?.startedAt;
  await h.stopAgent();
  assert.equal(h.container("t1")?.status, "running", "containers outlive the agent");

  const updates = h.manager.updates.length;
  const registrations = h.manager.registrations.length;
  await h.start();
  await h.manager.until(() => h.manager.registrations.length > registrations, "registration");
  const reg = h.manager.registrations.at(-1);
  assert.equal(reg?.nodeId, nodeId, "same node id from node.json");
  assert.deepEqual(reg.running, [{ taskId: "t1", state: "running", containerId: "t1" }]);
  const beats = h.manager.heartbeats;
  await h.manager.until(() => h.manager.heartbeats >= beats + 2, "two heartbeats after the full set");
  assert.equal(h.container("t1")?.pid, pid);
  assert.equal(h.container("t1")?.startedAt, startedAt);
  assert.equal(h.host.containers.size, 1);
  assert.deepEqual(h.manager.updates.slice(updates), [], "no duplicate reports");
});

test("agent: a restarted agent whose managers are behind reports the true state", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1"));
  await h.waitState("t1", "running");
  await h.stopAgent();
  // The managers never recorded it running (say the batch was lost with a manager).
  const task = h.manager.tasks.get("t1");
  assert.ok(task);
  h.manager.tasks.set("t1", { ...task, status: { ...task.status, state: "starting" } });
  await h.start();
  await h.waitState("t1", "running");
  assert.equal(h.host.containers.size, 1);
});

test("agent: orphaned containers are removed only once a full set arrived", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("keep"));
  h.manager.assign(h.nodeId, makeTask("orphan"));
  await h.waitState("keep", "running");
  await h.waitState("orphan", "running");
  await h.stopAgent();
  h.manager.tasks.delete("orphan"); // reassigned while the agent was away

  h.manager.holdFullSets = true;
  await h.start();
  const beats = h.manager.heartbeats;
  await h.manager.until(() => h.manager.heartbeats >= beats + 3, "three heartbeats without a full set");
  assert.equal(h.container("orphan")?.status, "running", "not removed before a full set");
  h.manager.sendFull(h.nodeId);
  await eventually(() => h.container("orphan") === undefined, "orphan removed");
  assert.equal(h.container("keep")?.status, "running");
});

test("agent: a gap in the deltas makes the agent register again and get a full set", async (t) => {
  const h = new Harness(t);
  await h.start();
  const registrations = h.manager.registrations.length;
  h.manager.tasks.set("t1", { ...makeTask("t1"), nodeId: h.nodeId }); // in the managers' set, but its delta is lost
  h.manager.delta(h.nodeId, [], 1);
  await h.waitState("t1", "running");
  assert.equal(h.manager.registrations.length, registrations + 1);
});

test("agent: a heartbeat refused for an unknown session makes the agent register again", async (t) => {
  const h = new Harness(t);
  await h.start();
  const registrations = h.manager.registrations.length;
  h.manager.dropSession(h.nodeId);
  await h.manager.until(() => h.manager.registrations.length > registrations, "registration");
  await h.manager.until(
    () => h.agent.status().connected && h.manager.sessionOf(h.nodeId) === h.agent.status().sessionId,
    "new session",
  );
});

test("agent: a node the managers do not know (removed) stops the agent with that error", async (t) => {
  const h = new Harness(t);
  h.manager.refuse = { code: "SHOAL_ERR_UNKNOWN_NODE", message: "the cluster has no node node1" };
  await assert.rejects(h.start(), (e: unknown) => e instanceof UnknownNodeError && e.code === "SHOAL_ERR_UNKNOWN_NODE");
});

test("agent: the bus refusing the node's certificate for good (it was removed) stops the agent", async (t) => {
  const h = new Harness(t);
  await h.start();
  await h.manager.until(() => h.agent.status().connected, "connected");
  h.hub.refuse(h.agentBus);
  await eventually(() => h.logged.includes("stopped"), "the agent stopped");
  assert.equal(h.agent.status().connected, false);
});

test("agent: other refusals are retried until the managers accept", async (t) => {
  const h = new Harness(t);
  h.manager.refuse = { code: "SHOAL_ERR_NOT_READY", message: "the cluster is not initialized yet" };
  await h.start();
  assert.equal(h.agent.status().connected, false);
  await h.manager.until(() => h.manager.registrations.length >= 2, "a retry");
  h.manager.refuse = undefined;
  await h.manager.until(() => h.agent.status().connected, "connected");
});
