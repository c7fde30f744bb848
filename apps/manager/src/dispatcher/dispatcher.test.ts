import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { ServiceSpecSchema, type Node, type Task } from "@shoal/api";
import { MemoryBusHub, natsPermissions, subjects } from "@shoal/bus";
import type { StoreState } from "@shoal/store";
import { withStatus } from "../api/handlers.js";
import { LeaderLoops } from "../manager.js";
import { silentLogger } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { FakeAgent } from "../testing/fake-agent.js";
import {
  changeNode,
  changeService,
  nodeObject,
  liveTasks,
  seededStore,
  serviceSpec,
  pollUntil,
  waitForState,
} from "../testing/fixtures.js";
import { Dispatcher } from "./dispatcher.js";

interface Harness {
  store: ClusterStore;
  hub: MemoryBusHub;
  loops: LeaderLoops;
  /** A fake agent of a node; unless `joined` is false the node joined first (its node object exists). */
  agent: (nodeId: string, o?: { joined?: boolean; role?: Node["spec"]["role"] }) => Promise<FakeAgent>;
}

/** A leader on a store with a cluster object: dispatcher and control loops on an in-memory bus. */
async function leader(t: TestContext, heartbeatPeriodMs = 1_000): Promise<Harness> {
  const store = await seededStore({ cluster: { heartbeatPeriodMs }, clock: Date.now });
  const cluster = store.state.list("cluster")[0];
  assert.ok(cluster);
  const hub = new MemoryBusHub();
  const dispatcher = new Dispatcher({ bus: hub.connect(), store, clusterId: cluster.id, log: silentLogger });
  const loops = new LeaderLoops({ store, heartbeats: dispatcher.heartbeats, log: silentLogger });
  const agents: FakeAgent[] = [];
  t.after(() => {
    for (const a of agents) a.close();
    loops.stop();
    dispatcher.stop();
  });
  return {
    store,
    hub,
    loops,
    agent: async (nodeId, o = {}) => {
      if (o.joined !== false)
        await store.write([
          { op: "create", kind: "node", object: nodeObject(nodeId, { state: "unknown", role: o.role ?? "worker" }) },
        ]);
      // Each agent's connection is confined to its node's subjects, as on the real bus server.
      const bus = hub.connect({
        permissions: natsPermissions(cluster.id, nodeId),
        inboxPrefix: subjects(cluster.id).inboxPrefix(nodeId),
      });
      const a = new FakeAgent({ bus, clusterId: cluster.id, nodeId });
      agents.push(a);
      return a;
    },
  };
}

async function createService(store: ClusterStore, id: string, replicas: number): Promise<void> {
  const spec = ServiceSpecSchema.parse(
    serviceSpec(id, {
      mode: { mode: "replicated", replicas },
      taskTemplate: { container: { image: "b" }, restartPolicy: { delayMs: 0 } },
    }),
  );
  await store.write([{ op: "create", kind: "service", object: { id, spec, endpoint: { ports: [], virtualIps: [] } } }]);
}

/** The service's live tasks when exactly `n` of them run on `nodeId` and no other task is live. */
const running = (serviceId: string, n: number, nodeId: string) => (s: StoreState) => {
  const live = liveTasks(s, serviceId);
  return live.length === n && live.every((t) => t.status.state === "running" && t.nodeId === nodeId) && live;
};

const status = (store: ClusterStore, serviceId: string) => {
  const s = store.state.get("service", serviceId);
  assert.ok(s);
  return withStatus(store.state, s).serviceStatus;
};

test("an agent registers, gets its tasks, runs them; scale up and down; drain and activate", async (t) => {
  const h = await leader(t);
  const agent = await h.agent("n1");
  const reply = await agent.register();
  assert.deepEqual(reply.ok && [reply.nodeId, reply.heartbeatPeriodMs], ["n1", 1_000]);
  agent.startHeartbeats(200);
  const node = h.store.state.get("node", "n1");
  assert.deepEqual(
    [node?.status.state, node?.spec.availability, node?.spec.role, node?.description.hostname],
    ["ready", "active", "worker", "host-n1"],
  );

  await createService(h.store, "web", 3);
  const three = await waitForState(h.store, running("web", 3, "n1"), "3 tasks running on n1");
  assert.deepEqual(status(h.store, "web"), { runningTasks: 3, desiredTasks: 3, completedTasks: 0 });
  assert.deepEqual([...agent.tasks.keys()].sort(), three.map((x) => x.id).sort());

  await changeService(h.store, "web", (s) => ({ ...s, mode: { mode: "replicated", replicas: 10 } }));
  await waitForState(h.store, running("web", 10, "n1"), "10 tasks running");
  assert.deepEqual(status(h.store, "web"), { runningTasks: 10, desiredTasks: 10, completedTasks: 0 });

  await changeService(h.store, "web", (s) => ({ ...s, mode: { mode: "replicated", replicas: 2 } }));
  await waitForState(
    h.store,
    (s) =>
      running("web", 2, "n1")(s) && s.tasksOfService("web").filter((x) => x.status.state === "shutdown").length === 8,
    "2 running, 8 shut down",
  );
  assert.deepEqual(
    bySlot(liveTasks(h.store.state, "web")).map((x) => x.slot),
    [1, 2],
  );
  assert.deepEqual(status(h.store, "web"), { runningTasks: 2, desiredTasks: 2, completedTasks: 0 });

  const before = liveTasks(h.store.state, "web").map((x) => x.id);
  await changeNode(h.store, "n1", { spec: { availability: "drain" } });
  const pending = await waitForState(
    h.store,
    (s) => {
      const live = liveTasks(s, "web");
      const oldStopped = before.every(
        (id) => s.get("task", id)?.desiredState === "shutdown" && s.get("task", id)?.status.state === "shutdown",
      );
      return oldStopped && live.length === 2 && live.every((x) => x.status.state === "pending") && live;
    },
    "old tasks shut down and 2 replacements pending",
  );
  for (const p of pending) {
    assert.equal(p.status.message, "no suitable node (1 node: node availability is drain)");
    assert.deepEqual(p.unschedulable, [{ nodeId: "n1", hostname: "host-n1", reason: "node availability is drain" }]);
  }
  assert.equal(status(h.store, "web").runningTasks, 0);

  await changeNode(h.store, "n1", { spec: { availability: "active" } });
  const placed = await waitForState(h.store, running("web", 2, "n1"), "replacements running on n1 again");
  assert.deepEqual(placed.map((x) => x.id).sort(), pending.map((x) => x.id).sort());

  // Settled: the loops have nothing left to write.
  await h.loops.idle();
  const index = h.store.state.appliedIndex;
  await h.loops.idle();
  assert.equal(h.store.state.appliedIndex, index);
});

test("registration: a joined node registers and keeps its node; a node the cluster does not have is refused", async (t) => {
  const h = await leader(t);
  const agent = await h.agent("n1");
  assert.equal((await agent.register()).ok, true);
  await changeNode(h.store, "n1", { spec: { labels: { zone: "eu" } } });
  await createService(h.store, "web", 2);
  await waitForState(h.store, running("web", 2, "n1"), "2 tasks running");
  const fulls = agent.received.filter((m) => m === "full").length;

  const again = await agent.register();
  assert.deepEqual(again.ok && again.nodeId, "n1");
  assert.deepEqual(
    h.store.state.list("node").map((n) => [n.id, n.spec.labels, n.status.state]),
    [["n1", { zone: "eu" }, "ready"]],
  );
  // The new session starts with the full set, which holds the node's tasks.
  await waitForState(
    h.store,
    () => agent.received.filter((m) => m === "full").length === fulls + 1,
    "a second full set",
  );
  assert.equal(agent.tasks.size, 2);
  assert.equal(await agent.beat(), "ok");

  const intruder = await h.agent("n2", { joined: false });
  const refused = await intruder.register();
  assert.deepEqual(refused.ok ? "accepted" : refused.code, "SHOAL_ERR_UNKNOWN_NODE");
  assert.match(refused.ok ? "" : refused.message, /has no node n2.*join again/);
  assert.equal(h.store.state.get("node", "n2"), undefined);
  // A node joined as a manager registers as one.
  const manager = await h.agent("m1", { role: "manager" });
  assert.equal((await manager.register()).ok, true);
  assert.equal(h.store.state.get("node", "m1")?.spec.role, "manager");
});

test("under the bus's permissions an agent cannot speak for another node: the dispatcher hears nothing of it", async (t) => {
  const h = await leader(t);
  const b = await h.agent("b");
  assert.equal((await b.register()).ok, true);
  await createService(h.store, "web", 1);
  const [task] = await waitForState(h.store, running("web", 1, "b"), "web running on b");
  assert.ok(task);
  await h.agent("a");
  const before = h.store.state.get("node", "b");
  // Node a's connection, pretending to be b: its register, heartbeat and status subjects are b's.
  const s = subjects("c1");
  const bus = h.hub.connect({ permissions: natsPermissions("c1", "a"), inboxPrefix: s.inboxPrefix("a") });
  const forger = new FakeAgent({ bus, clusterId: "c1", nodeId: "b" });
  t.after(() => forger.close());
  await assert.rejects(forger.register(), { code: "SHOAL_ERR_BUS_PERMISSION", subject: s.register("b") });
  await assert.rejects(forger.beat(), { code: "SHOAL_ERR_BUS_PERMISSION" });
  forger.sessionId = b.sessionId;
  forger.report([{ taskId: task.id, state: "failed", message: "forged" }]);
  await h.loops.idle();
  assert.equal(h.store.state.get("task", task.id)?.status.state, "running");
  assert.equal(h.store.state.get("node", "b")?.version, before?.version, "b's node was not touched");
  assert.equal(forger.tasks.size, 0, "b's assignments never reached a");
  assert.deepEqual(
    h.hub.refusals.map((e) => `${e.operation} ${e.subject}`),
    [
      `subscribe ${s.assignments("b")}`,
      `publish ${s.register("b")}`,
      `publish ${s.heartbeat("b")}`,
      `publish ${s.status("b")}`,
    ],
  );
});

test("status reports: forward moves are written, backward ones and reports for other nodes' tasks are ignored", async (t) => {
  const h = await leader(t);
  const a = await h.agent("n1");
  await a.register();
  await createService(h.store, "web", 2);
  const [x, y] = await waitForState(h.store, running("web", 2, "n1"), "2 tasks running");
  assert.ok(x && y);
  const other = await h.agent("n2");
  await other.register();
  // In one batch: x goes backwards (ignored) while y fails (written); n2 reports about n1's task (ignored).
  other.report([{ taskId: x.id, state: "failed" }]);
  a.report([
    { taskId: x.id, state: "starting" },
    { taskId: y.id, state: "failed", message: "exit 1" },
  ]);
  await waitForState(h.store, (s) => s.get("task", y.id)?.status.state === "failed", "y failed");
  assert.equal(h.store.state.get("task", x.id)?.status.state, "running");
  // A terminal task never comes back.
  a.report([
    { taskId: y.id, state: "running" },
    { taskId: x.id, state: "complete" },
  ]);
  await waitForState(h.store, (s) => s.get("task", x.id)?.status.state === "complete", "x complete");
  assert.equal(h.store.state.get("task", y.id)?.status.state, "failed");
});

test("an agent that stops heartbeating: its node goes down, tasks are replaced, and placed on a node that joins", async (t) => {
  const h = await leader(t, 100);
  const a = await h.agent("n1");
  await a.register();
  a.startHeartbeats(40);
  await createService(h.store, "web", 2);
  const first = await waitForState(h.store, running("web", 2, "n1"), "2 tasks running on n1");

  a.stopHeartbeats();
  const replacements = await waitForState(
    h.store,
    (s) => {
      const live = liveTasks(s, "web");
      return (
        s.get("node", "n1")?.status.state === "down" &&
        live.length === 2 &&
        live.every((x) => x.status.state === "pending") &&
        live
      );
    },
    "n1 down and 2 replacements pending",
  );
  assert.match(h.store.state.get("node", "n1")?.status.message ?? "", /^no heartbeat for [\d.]+ s \(limit 0\.3 s\)$/);
  for (const old of first) {
    const o = h.store.state.get("task", old.id);
    assert.deepEqual(
      [o?.status.state, o?.desiredState, o?.status.message],
      ["orphaned", "shutdown", "node host-n1 is down: task replaced"],
    );
  }
  for (const r of replacements) assert.equal(r.status.message, "no suitable node (1 node: node is down)");
  // The down node's session is gone: its agent must register again.
  assert.equal(await a.beat(), "SHOAL_ERR_SESSION");

  const b = await h.agent("n2");
  await b.register();
  b.startHeartbeats(40);
  const moved = await waitForState(h.store, running("web", 2, "n2"), "replacements running on n2");
  assert.deepEqual(moved.map((x) => x.id).sort(), replacements.map((x) => x.id).sort());
  assert.deepEqual(status(h.store, "web"), { runningTasks: 2, desiredTasks: 2, completedTasks: 0 });

  // n1's agent comes back: same node, ready again, told about its orphaned tasks.
  const back = await a.register();
  assert.deepEqual(back.ok && back.nodeId, "n1");
  a.startHeartbeats(40);
  await waitForState(
    h.store,
    (s) => s.get("node", "n1")?.status.state === "ready" && a.tasks.size === 2,
    "n1 ready with its old tasks listed",
  );
  assert.ok([...a.tasks.values()].every((x: Task) => x.status.state === "orphaned"));
  assert.equal(h.store.state.list("node").length, 2);
});

test("a crash-looping task is restarted each time and its history stays within the retention limit", async (t) => {
  const h = await leader(t);
  const cluster = h.store.state.list("cluster")[0];
  assert.ok(cluster);
  const { version, createdAt: _c, updatedAt: _u, ...rest } = cluster;
  await h.store.write([
    {
      op: "update",
      kind: "cluster",
      object: { ...rest, spec: { ...rest.spec, taskHistoryRetentionLimit: 2 } },
      expectedVersion: version,
    },
  ]);
  const a = await h.agent("n1");
  await a.register();
  await createService(h.store, "web", 1);
  for (let i = 0; i < 6; i++) {
    const [live] = await waitForState(h.store, running("web", 1, "n1"), `attempt ${i + 1} running`);
    assert.ok(live);
    a.report([{ taskId: live.id, state: "failed", message: "exit 1" }]);
    await waitForState(h.store, (s) => s.get("task", live.id)?.status.state === "failed", `attempt ${i + 1} failed`);
  }
  await waitForState(h.store, running("web", 1, "n1"), "the last restart running");
  await h.loops.idle();
  const tasks = h.store.state.tasksOfService("web");
  assert.equal(tasks.length, 2, "the retention limit of 2 tasks per slot");
  assert.deepEqual(tasks.map((x) => x.desiredState).sort(), ["running", "shutdown"]);
  assert.deepEqual(status(h.store, "web"), { runningTasks: 1, desiredTasks: 1, completedTasks: 0 });
});

const bySlot = (tasks: readonly Task[]) => [...tasks].sort((p, q) => (p.slot ?? 0) - (q.slot ?? 0));

test("with a default network, tasks get their addresses, then are placed and run; the agent gets them with their addresses", async (t) => {
  const h = await leader(t);
  await h.store.write([
    {
      op: "create",
      kind: "network",
      object: {
        id: "netdefault",
        spec: { name: "default", driver: "overlay", labels: {}, subnets: [], attachable: false, ingress: false },
        subnets: [],
      },
    },
  ]);
  const agent = await h.agent("n1");
  await agent.register();
  agent.startHeartbeats(200);
  // dnsrr: no VIP, so the allocator's only writes are the tasks' addresses, which must wake the scheduler.
  const spec = ServiceSpecSchema.parse(
    serviceSpec("web", { mode: { mode: "replicated", replicas: 2 }, endpoint: { mode: "dnsrr", ports: [] } }),
  );
  await h.store.write([
    { op: "create", kind: "service", object: { id: "web", spec, endpoint: { ports: [], virtualIps: [] } } },
  ]);
  const two = await waitForState(h.store, running("web", 2, "n1"), "2 tasks running on n1");
  const addresses = two.flatMap((x) => x.networks.flatMap((n) => n.addresses)).sort();
  assert.deepEqual(addresses, ["10.10.0.2/24", "10.10.0.3/24"]);
  assert.deepEqual([...agent.tasks.values()].flatMap((x) => x.networks.flatMap((n) => n.addresses)).sort(), addresses);
  assert.deepEqual(h.store.state.get("service", "web")?.endpoint.virtualIps, []);
  // The agent's network view follows: the network, and both tasks as serving endpoints of web.
  await pollUntil(
    () => agent.network.endpoints.filter((e) => e.serving && e.serviceId === "web").length === 2,
    "the agent's network view to list web's 2 serving tasks",
  );
  assert.deepEqual(
    agent.network.networks.map((n) => [n.name, n.vni, n.subnet]),
    [["default", 4096, "10.10.0.0/24"]],
  );
  assert.deepEqual(agent.network.endpoints.map((e) => e.address).sort(), ["10.10.0.2", "10.10.0.3"]);
  assert.ok(agent.received.includes("network"), "sent as a network message after the full set");
});
