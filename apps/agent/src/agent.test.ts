// The agent runs its tasks: states reported in order, exits, shutdown and removal, a cut bus, images, health, ports.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryExecutor, memoryImage } from "@shoal/runtime/testing";
import type { ContainerSpec } from "@shoal/runtime";
import { imageMissing } from "./task-actions.js";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";
import { assertMonotonic, Harness, HOSTNAME } from "./testing/agent-harness.js";

test("agent: registers, runs an assigned task and reports its states in order up to running", async (t) => {
  const h = new Harness(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const executor = new MemoryExecutor(h.host);
  const create = executor.create.bind(executor);
  executor.create = async (spec: ContainerSpec) => {
    await gate;
    return create(spec);
  };
  await h.start({ executor });
  const reg = h.manager.registrations[0];
  assert.equal(reg?.hostname, HOSTNAME);
  assert.equal(reg.nodeId, "node1", "registers with the node id joining gave");
  assert.ok(reg.resources.cpus > 0 && reg.resources.memoryBytes > 0);

  h.manager.assign(h.nodeId, makeTask("t1", { slot: 3 }));
  await h.waitState("t1", "preparing");
  assert.equal(h.container("t1"), undefined, "not created before the gate opens");
  release();
  await h.waitState("t1", "running");
  const states = h.manager.statesOf("t1");
  assertMonotonic(states);
  assert.equal(states.at(-1), "running");
  assert.equal(h.manager.lastStatus("t1")?.containerId, "t1");
  const c = h.container("t1");
  assert.equal(c?.status, "running");
  assert.deepEqual(c.args, ["sleep", "3600"]);
  assert.deepEqual(Object.fromEntries(Object.entries(c.labels).filter(([k]) => k.startsWith("shoal."))), {
    "shoal.task.id": "t1",
    "shoal.service.id": "svc1",
    "shoal.slot": "3",
    "shoal.node.id": h.nodeId,
  });
  assert.deepEqual(c.spec.network, { mode: "path", path: "/run/netns/shoal-t1" });
  assert.equal(h.agent.status().connected, true);
});

test("agent: a task that starts while a reconcile pass is reading the node is not taken for gone", async (t) => {
  // A pass reads the containers, then decides; an action that finishes after the read must not make that pass
  // see a started task without its container (it once reported such tasks failed: "gone from the node").
  const h = new Harness(t);
  let releaseCreate!: () => void;
  const createGate = new Promise<void>((r) => (releaseCreate = r));
  const executor = new MemoryExecutor(h.host);
  const create = executor.create.bind(executor);
  executor.create = async (spec: ContainerSpec) => {
    if (spec.id === "t1") await createGate;
    return create(spec);
  };
  await h.start({ executor });
  h.manager.assign(h.nodeId, makeTask("t1"));
  await h.waitState("t1", "preparing");

  let releaseRead!: () => void;
  const readGate = new Promise<void>((r) => (releaseRead = r));
  let entered!: () => void;
  const readEntered = new Promise<void>((r) => (entered = r));
  const list = executor.list.bind(executor);
  let armed = true;
  executor.list = async () => {
    const seen = await list();
    if (armed) {
      // The containers as they were before t1's create finished, handed over only after it has.
      armed = false;
      entered();
      await readGate;
    }
    return seen;
  };
  h.manager.assign(h.nodeId, makeTask("t2"));
  await readEntered; // a pass has read the containers (no t1 yet) and has not decided
  releaseCreate();
  await h.waitState("t1", "running");
  releaseRead();
  await h.waitState("t2", "running");
  assert.deepEqual(
    h.manager.statesOf("t1").filter((s) => s === "failed"),
    [],
    `t1 reports: ${h.manager.statesOf("t1").join(" -> ")}`,
  );
  assert.equal(h.container("t1")?.status, "running");
});

test("agent: a container that exits is reported complete or failed with its exit code, and not restarted", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(
    h.nodeId,
    makeTask("bad", { template: { container: { image: "busybox", args: ["sh", "-c", "sleep 1; exit 3"] } } }),
  );
  h.manager.assign(h.nodeId, makeTask("good", { template: { container: { image: "busybox", args: ["sleep", "1"] } } }));
  await h.waitState("bad", "running");
  await h.waitState("good", "running");
  await h.clock.advance(1_000);
  await h.waitState("bad", "failed");
  await h.waitState("good", "complete");
  assert.deepEqual(
    { ...h.manager.lastStatus("bad"), timestamp: "" },
    { state: "failed", message: "container ended", err: "exit code 3", exitCode: 3, containerId: "bad", timestamp: "" },
  );
  assert.equal(h.manager.lastStatus("good")?.exitCode, 0);
  // Another pass (a heartbeat later) restarts nothing.
  const beats = h.manager.heartbeats;
  await h.manager.until(() => h.manager.heartbeats >= beats + 2, "two heartbeats");
  assert.equal(h.container("bad")?.status, "stopped");
  assert.equal(h.host.containers.size, 2);
});

test("agent: desired shutdown stops the task and keeps its container; removal from the set removes it", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1"));
  await h.waitState("t1", "running");
  assert.equal((await h.network.attachments()).length, 1);
  h.manager.setDesired("t1", "shutdown");
  await h.waitState("t1", "shutdown");
  assert.equal(h.container("t1")?.status, "stopped", "kept for its logs");
  h.manager.unassign("t1");
  await eventually(() => h.container("t1") === undefined, "container removed");
  await eventually(async () => (await h.network.attachments()).length === 0, "network detached");
});

test("agent: while the bus is cut tasks keep running; statuses reach the managers after it heals", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("stay"));
  h.manager.assign(
    h.nodeId,
    makeTask("ends", { template: { container: { image: "busybox", args: ["sh", "-c", "sleep 1; exit 2"] } } }),
  );
  await h.waitState("stay", "running");
  await h.waitState("ends", "running");
  const registrations = h.manager.registrations.length;

  h.hub.partition(h.agentBus);
  assert.equal(h.agent.status().connected, false);
  await h.clock.advance(1_000);
  await eventually(() => h.container("ends")?.status === "stopped", "the container exited");
  // The agent notices the exit but cannot tell the managers; it keeps the update and keeps the other task.
  await eventually(() => h.agent.status().pendingStatus > 0, "a status update waiting");
  // Heartbeats time out, and the agent tries to register again, in vain.
  const logged = h.logged.length;
  await eventually(
    () => h.logged.slice(logged).includes("cannot register with the managers; retrying"),
    "a failed registration",
  );
  assert.equal(h.container("stay")?.status, "running");
  assert.equal(h.manager.tasks.get("ends")?.status.state, "running");

  h.hub.heal(h.agentBus);
  await h.waitState("ends", "failed");
  assert.ok(h.manager.registrations.length > registrations, "registered again after the bus came back");
  assert.equal(h.container("stay")?.status, "running");
  assert.equal(h.manager.lastStatus("ends")?.err, "exit code 2");
});

test("agent: a task whose image is missing is rejected with the hint to load it", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "app:2" } } }));
  await h.waitState("t1", "rejected");
  assert.equal(h.manager.lastStatus("t1")?.err, imageMissing("app:2", HOSTNAME));
  assert.equal(
    h.manager.lastStatus("t1")?.err,
    "image app:2 not found on node node-a: load it with `shoal image load` on that node",
  );
  assert.equal(h.container("t1"), undefined);
});

test("agent: an image the runtime can pull is pulled", async (t) => {
  const h = new Harness(t);
  h.host.images.addRegistryImage(
    "registry.local/app:1",
    memoryImage("registry.local/app:1", { cmd: ["sleep", "3600"] }),
  );
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "registry.local/app:1" } } }));
  await h.waitState("t1", "running");
});

test("agent: an unhealthy container is stopped and reported failed with the probe's output", async (t) => {
  const h = new Harness(t);
  await h.start();
  const healthcheck = { test: ["CMD-SHELL", "echo not ready; exit 1"], intervalMs: 1_000, timeoutMs: 500, retries: 1 };
  h.manager.assign(
    h.nodeId,
    makeTask("t1", { template: { container: { image: "busybox", args: ["sleep", "3600"], healthcheck } } }),
  );
  await h.waitState("t1", "running");
  await h.clock.advance(1_000);
  await h.waitState("t1", "failed");
  assert.equal(h.manager.lastStatus("t1")?.err, "unhealthy: not ready");
  assert.equal(h.container("t1")?.status, "stopped");
});

test("agent: published ports follow the running tasks", async (t) => {
  const h = new Harness(t);
  await h.start();
  const ports = [{ targetPort: 80, publishedPort: 8080 }];
  h.manager.assign(h.nodeId, makeTask("a", { ports }));
  h.manager.assign(h.nodeId, makeTask("b", { ports }));
  await h.waitState("a", "running");
  await h.waitState("b", "running");
  const addr = async (id: string) => (await h.network.attachments()).find((a) => a.taskId === id)?.address ?? "";
  const both = [await addr("a"), await addr("b")].sort();
  await eventually(
    () =>
      JSON.stringify(h.network.rules) ===
      JSON.stringify([{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: both }]),
    "rules for both tasks",
  );
  const b = await addr("b");
  h.manager.setDesired("a", "shutdown");
  await h.waitState("a", "shutdown");
  await eventually(
    () =>
      JSON.stringify(h.network.rules) ===
      JSON.stringify([{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: [b] }]),
    "rules for b only",
  );
});
