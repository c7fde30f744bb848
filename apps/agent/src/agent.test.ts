import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { canTransition, type JoinInfo } from "@shoal/api";
import { decode, encode, LogChunkSchema, LogsCancelSchema, LogsRequestSchema, MemoryBusHub, type LogChunk, type MemoryBus } from "@shoal/bus";
import { ManualClock, MemoryExecutor, MemoryHost, memoryImage } from "@shoal/runtime/testing";
import type { ContainerSpec } from "@shoal/runtime";
import type { Agent } from "./agent.js";
import { startAgent } from "./start.js";
import { InvalidTokenError } from "./errors.js";
import { quietLog } from "./log.js";
import { MemoryNetwork } from "@shoal/overlay";
import { AgentStateFiles } from "./state-files.js";
import { imageMissing } from "./task-actions.js";
import { FakeManager } from "./testing/fake-manager.js";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";

const JOIN: JoinInfo = { clusterId: "c1", role: "worker", natsUrls: ["nats://127.0.0.1:1"], natsToken: "bus", managers: ["127.0.0.1:1"], joinToken: "tok" };
const HOSTNAME = "node-a";

/** An agent on a MemoryBusHub with a fake manager, an in-memory executor on a manual clock and a memory network. */
class Harness {
  readonly hub = new MemoryBusHub();
  readonly manager: FakeManager;
  readonly clock = new ManualClock();
  readonly host = new MemoryHost({ clock: this.clock });
  readonly network = new MemoryNetwork();
  readonly dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-"));
  /** What the agent logged (messages only). */
  readonly logged: string[] = [];
  executor!: MemoryExecutor;
  agentBus!: MemoryBus;
  agent!: Agent;

  constructor(t: TestContext, o: { ownIds?: boolean } = {}) {
    this.manager = new FakeManager(this.hub.connect(), { clusterId: JOIN.clusterId, joinToken: JOIN.joinToken, ...o });
    this.host.images.addImage(memoryImage("busybox", { cmd: ["sh"] }));
    t.after(async () => {
      await this.agent?.stop();
      await this.executor?.close();
      this.manager.close();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get nodeId(): string {
    const id = this.agent.nodeId;
    assert.ok(id, "the agent has a node id");
    return id;
  }

  /** Starts an agent (a new executor on the same host, like a restarted process). */
  async start(o: { executor?: MemoryExecutor } = {}): Promise<Agent> {
    await new AgentStateFiles(path.join(this.dataDir, "agent")).writeJoin(JOIN);
    this.executor = o.executor ?? new MemoryExecutor(this.host);
    this.agentBus = this.hub.connect();
    this.agent = await startAgent({
      dataDir: this.dataDir,
      runDir: path.join(this.dir, "run"),
      hostname: HOSTNAME,
      executor: this.executor,
      network: this.network,
      bus: this.agentBus,
      log: { ...quietLog, warn: (msg) => this.logged.push(msg), info: (msg) => this.logged.push(msg) },
      requestTimeoutMs: 200,
      statusFlushMs: 20,
    });
    return this.agent;
  }

  /** Stops the agent and closes its executor; containers keep running on the host. */
  async stopAgent(): Promise<void> {
    await this.agent.stop();
    await this.executor.close();
    await this.agentBus.close();
  }

  async waitState(taskId: string, state: string): Promise<void> {
    await this.manager.until(() => this.manager.tasks.get(taskId)?.status.state === state, `task ${taskId} ${state}`);
  }

  container(id: string) {
    return this.host.containers.get(id);
  }
}

/** Every report of a task moves it forward. */
function assertMonotonic(states: string[]): void {
  for (let i = 1; i < states.length; i++) {
    assert.ok(canTransition(states[i - 1] as never, states[i] as never) && states[i - 1] !== states[i], `reports go forward: ${states.join(" -> ")}`);
  }
}

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
  assert.equal(reg.joinToken, "tok");
  assert.ok(reg.resources.cpus > 0 && reg.resources.memoryBytes > 0);
  assert.equal(await new AgentStateFiles(path.join(h.dataDir, "agent")).readNodeId(), h.nodeId, "node id stored durably");

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
  assert.deepEqual(
    Object.fromEntries(Object.entries(c.labels).filter(([k]) => k.startsWith("shoal."))),
    { "shoal.task.id": "t1", "shoal.service.id": "svc1", "shoal.slot": "3", "shoal.node.id": h.nodeId },
  );
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
  assert.deepEqual(h.manager.statesOf("t1").filter((s) => s === "failed"), [], `t1 reports: ${h.manager.statesOf("t1").join(" -> ")}`);
  assert.equal(h.container("t1")?.status, "running");
});

test("agent: a container that exits is reported complete or failed with its exit code, and not restarted", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("bad", { template: { container: { image: "busybox", args: ["sh", "-c", "sleep 1; exit 3"] } } }));
  h.manager.assign(h.nodeId, makeTask("good", { template: { container: { image: "busybox", args: ["sleep", "1"] } } }));
  await h.waitState("bad", "running");
  await h.waitState("good", "running");
  await h.clock.advance(1_000);
  await h.waitState("bad", "failed");
  await h.waitState("good", "complete");
  assert.deepEqual({ ...h.manager.lastStatus("bad"), timestamp: "" }, { state: "failed", message: "container ended", err: "exit code 3", exitCode: 3, containerId: "bad", timestamp: "" });
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
  h.manager.assign(h.nodeId, makeTask("ends", { template: { container: { image: "busybox", args: ["sh", "-c", "sleep 1; exit 2"] } } }));
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
  await eventually(() => h.logged.slice(logged).includes("cannot register with the managers; retrying"), "a failed registration");
  assert.equal(h.container("stay")?.status, "running");
  assert.equal(h.manager.tasks.get("ends")?.status.state, "running");

  h.hub.heal(h.agentBus);
  await h.waitState("ends", "failed");
  assert.ok(h.manager.registrations.length > registrations, "registered again after the bus came back");
  assert.equal(h.container("stay")?.status, "running");
  assert.equal(h.manager.lastStatus("ends")?.err, "exit code 2");
});

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
  await h.manager.until(() => h.agent.status().connected && h.manager.sessionOf(h.nodeId) === h.agent.status().sessionId, "new session");
});

test("agent: a task whose image is missing is rejected with the hint to load it", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "app:2" } } }));
  await h.waitState("t1", "rejected");
  assert.equal(h.manager.lastStatus("t1")?.err, imageMissing("app:2", HOSTNAME));
  assert.equal(h.manager.lastStatus("t1")?.err, "image app:2 not found on node node-a: load it with `shoal image load` on that node");
  assert.equal(h.container("t1"), undefined);
});

test("agent: an image the runtime can pull is pulled", async (t) => {
  const h = new Harness(t);
  h.host.images.addRegistryImage("registry.local/app:1", memoryImage("registry.local/app:1", { cmd: ["sleep", "3600"] }));
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "registry.local/app:1" } } }));
  await h.waitState("t1", "running");
});

test("agent: an unhealthy container is stopped and reported failed with the probe's output", async (t) => {
  const h = new Harness(t);
  await h.start();
  const healthcheck = { test: ["CMD-SHELL", "echo not ready; exit 1"], intervalMs: 1_000, timeoutMs: 500, retries: 1 };
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "busybox", args: ["sleep", "3600"], healthcheck } } }));
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
  await eventually(() => JSON.stringify(h.network.rules) === JSON.stringify([{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: both }]), "rules for both tasks");
  const b = await addr("b");
  h.manager.setDesired("a", "shutdown");
  await h.waitState("a", "shutdown");
  await eventually(() => JSON.stringify(h.network.rules) === JSON.stringify([{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: [b] }]), "rules for b only");
});

test("agent: task logs are served over the bus, and an unknown task gets an error", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "busybox", args: ["sh", "-c", "echo hello; echo oops >&2; sleep 3600"] } } }));
  await h.waitState("t1", "running");
  const ask = async (taskId: string): Promise<LogChunk[]> => {
    const bus = h.hub.connect();
    const inbox = bus.inbox();
    const chunks: LogChunk[] = [];
    const done = new Promise<void>((resolve) =>
      bus.subscribe(inbox, (m) => {
        const c = decode(LogChunkSchema, inbox, m.data);
        chunks.push(c);
        if (c.end) resolve();
      }),
    );
    const subject = h.manager.s.logs(h.nodeId);
    bus.publish(subject, encode(LogsRequestSchema, subject, { streamId: `s-${taskId}`, taskId }), inbox);
    await done;
    await bus.close();
    return chunks;
  };
  const chunks = await ask("t1");
  const lines = chunks.flatMap((c) => c.entries.map((e) => `${e.stream}:${e.line}`));
  assert.deepEqual(lines, ["stdout:hello\n", "stderr:oops\n"]);
  assert.equal(chunks.at(-1)?.error, undefined);
  const missing = await ask("nope");
  assert.match(missing.at(-1)?.error ?? "", /no container of task nope/);
});

test("agent: a node id the managers choose is stored, and the agent registers again to get its full set", async (t) => {
  const h = new Harness(t, { ownIds: true });
  await h.start();
  await h.manager.until(() => h.agent.status().connected, "connected");
  assert.equal(h.nodeId, "node1");
  assert.equal(h.manager.registrations.at(-1)?.nodeId, "node1");
  assert.equal(await new AgentStateFiles(path.join(h.dataDir, "agent")).readNodeId(), "node1");
  h.manager.assign("node1", makeTask("t1"));
  await h.waitState("t1", "running");
});

test("agent: a followed log stream runs until the managers cancel it", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(h.nodeId, makeTask("t1", { template: { container: { image: "busybox", args: ["sh", "-c", "echo one; sleep 1; echo two; sleep 3600"] } } }));
  await h.waitState("t1", "running");
  const bus = h.hub.connect();
  t.after(() => bus.close());
  const inbox = bus.inbox();
  const lines: string[] = [];
  let ended = false;
  bus.subscribe(inbox, (m) => {
    const c = decode(LogChunkSchema, inbox, m.data);
    lines.push(...c.entries.map((e) => e.line));
    ended ||= c.end;
  });
  const subject = h.manager.s.logs(h.nodeId);
  bus.publish(subject, encode(LogsRequestSchema, subject, { streamId: "f1", taskId: "t1", follow: true }), inbox);
  await eventually(() => lines.includes("one\n"), "the first line");
  await h.clock.advance(1_000);
  await eventually(() => lines.includes("two\n"), "a line written while following");
  assert.equal(ended, false);
  const cancel = h.manager.s.logsCancel(h.nodeId);
  bus.publish(cancel, encode(LogsCancelSchema, cancel, { streamId: "f1" }));
  await eventually(() => ended, "the end of the stream");
});

test("agent: a refused join token stops the agent with that error", async (t) => {
  const h = new Harness(t);
  h.manager.refuse = { code: "SHOAL_ERR_INVALID_TOKEN", message: "the join token is not valid" };
  await assert.rejects(h.start(), (e: unknown) => e instanceof InvalidTokenError && e.code === "SHOAL_ERR_INVALID_TOKEN");
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
