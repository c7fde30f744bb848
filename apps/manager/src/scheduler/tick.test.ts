import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task } from "@shoal/api";
import type { ClusterStore } from "../store/cluster-store.js";
import { addTasks, changeNode, seededStore, serviceSpec, T0, type NodeFixture } from "../testing/fixtures.js";
import { schedule } from "./tick.js";

/** Runs one scheduler pass at `now` and commits it; returns how many commands it made. */
async function pass(store: ClusterStore, now = T0): Promise<number> {
  const commands = schedule(store.state, now);
  await store.write(commands);
  return commands.length;
}

const task = (store: ClusterStore, id: string): Task => {
  const t = store.state.get("task", id);
  assert.ok(t, `task ${id} exists`);
  return t;
};
const nodesOf = (store: ClusterStore, ids: readonly string[]) => ids.map((id) => task(store, id).nodeId);
const perNode = (store: ClusterStore, ids: readonly string[]) => {
  const m = new Map<string, number>();
  for (const n of nodesOf(store, ids)) m.set(n ?? "-", (m.get(n ?? "-") ?? 0) + 1);
  return Object.fromEntries([...m].sort());
};
const slots = (n: number): Partial<Task>[] => Array.from({ length: n }, (_, i) => ({ slot: i + 1 }));

test("waiting tasks are assigned to a node, spread evenly over three nodes", async () => {
  const store = await seededStore({
    nodes: ["a", "b", "c"],
    services: [["web", serviceSpec("web", { mode: { mode: "replicated", replicas: 9 } })]],
  });
  const ids = await addTasks(store, "web", slots(9));
  assert.equal(await pass(store), 9);
  assert.deepEqual(perNode(store, ids), { a: 3, b: 3, c: 3 });
  const t = task(store, ids[0] ?? "");
  assert.equal(t.status.state, "assigned");
  assert.match(t.status.message, /^scheduled on host-[abc]$/);
  assert.equal(t.unschedulable, undefined);
  // Assigned tasks are not waiting any more: a second pass writes nothing.
  assert.equal(await pass(store), 0);
});

test("new tasks go to the nodes where the service has the fewest", async () => {
  const store = await seededStore({ nodes: ["a", "b", "c"], services: [["web", serviceSpec("web")]] });
  await addTasks(store, "web", [
    { nodeId: "a", status: { state: "running", timestamp: new Date(T0).toISOString(), message: "" } },
    { nodeId: "a", status: { state: "running", timestamp: new Date(T0).toISOString(), message: "" } },
  ]);
  const ids = await addTasks(store, "web", slots(4));
  await pass(store);
  assert.deepEqual(perNode(store, ids), { b: 2, c: 2 });
});

test("a task no node can take stays pending with a reason per node and a summary, and is not rewritten while nothing changes", async () => {
  const store = await seededStore({
    nodes: [
      ["a", { availability: "drain" }],
      ["b", { state: "down" }],
      ["c", { availability: "pause" }],
    ],
    services: [["web", serviceSpec("web")]],
  });
  const [id = ""] = await addTasks(store, "web", slots(1));
  assert.equal(await pass(store, T0 + 10), 1);
  const t = task(store, id);
  assert.equal(t.status.state, "pending");
  assert.equal(t.nodeId, undefined);
  assert.deepEqual(t.unschedulable, [
    { nodeId: "a", hostname: "host-a", reason: "node availability is drain" },
    { nodeId: "b", hostname: "host-b", reason: "node is down" },
    { nodeId: "c", hostname: "host-c", reason: "node availability is pause" },
  ]);
  assert.equal(
    t.status.message,
    "no suitable node (1 node: node availability is drain; 1 node: node is down; 1 node: node availability is pause)",
  );
  const version = t.version;
  assert.equal(await pass(store, T0 + 20), 0);
  assert.equal(task(store, id).version, version);
  // A changed reason is written again, keeping the time the task became pending.
  await changeNode(store, "c", { spec: { availability: "drain" } });
  assert.equal(await pass(store, T0 + 30), 1);
  const again = task(store, id);
  assert.equal(again.status.message, "no suitable node (2 nodes: node availability is drain; 1 node: node is down)");
  assert.equal(again.status.timestamp, new Date(T0 + 10).toISOString());
});

test("with no nodes at all the summary says so", async () => {
  const store = await seededStore({ services: [["web", serviceSpec("web")]] });
  const [id = ""] = await addTasks(store, "web", slots(1));
  await pass(store);
  assert.equal(task(store, id).status.message, "no suitable node: the cluster has no nodes");
  assert.deepEqual(task(store, id).unschedulable, []);
});

test("a pending task is placed once a node becomes ready or active again", async () => {
  for (const [fixture, change] of [
    [{ state: "down" }, { status: { state: "ready" } }],
    [{ availability: "drain" }, { spec: { availability: "active" } }],
    [{ availability: "pause" }, { spec: { availability: "active" } }],
  ] as [NodeFixture, Parameters<typeof changeNode>[2]][]) {
    const store = await seededStore({ nodes: [["a", fixture]], services: [["web", serviceSpec("web")]] });
    const [id = ""] = await addTasks(store, "web", slots(1));
    await pass(store);
    assert.equal(task(store, id).status.state, "pending");
    await changeNode(store, "a", change);
    assert.equal(await pass(store), 1);
    const t = task(store, id);
    assert.deepEqual(
      [t.status.state, t.nodeId, t.unschedulable],
      ["assigned", "a", undefined],
      JSON.stringify(fixture),
    );
  }
});

test("constraints on node.id, node.hostname, node.role and node labels", async () => {
  const nodes: [string, NodeFixture][] = [
    ["a", { labels: { zone: "eu", disk: "ssd" } }],
    ["b", { labels: { zone: "us" }, role: "manager", hostname: "big" }],
    ["c", { labels: { zone: "eu" } }],
  ];
  const cases: [string[], string[]][] = [
    [["node.id==b"], ["b"]],
    [["node.id!=b"], ["a", "c"]],
    [["node.hostname==big"], ["b"]],
    [["node.hostname!=big"], ["a", "c"]],
    [["node.role==manager"], ["b"]],
    [["node.role==worker"], ["a", "c"]],
    [["node.labels.zone==eu"], ["a", "c"]],
    [["node.labels.zone==eu", "node.labels.disk==ssd"], ["a"]],
    [["node.labels.disk!=ssd"], ["b", "c"]],
    [["node.labels.gpu==yes"], []],
  ];
  for (const [constraints, expected] of cases) {
    const store = await seededStore({
      nodes,
      services: [
        ["web", serviceSpec("web", { taskTemplate: { container: { image: "b" }, placement: { constraints } } })],
      ],
    });
    const ids = await addTasks(store, "web", slots(4));
    await pass(store);
    const used = [...new Set(nodesOf(store, ids).filter((n) => n !== undefined))].sort();
    assert.deepEqual(used, expected, constraints.join(","));
    if (expected.length === 0) {
      assert.match(
        task(store, ids[0] ?? "").status.message,
        /3 nodes: constraint node\.labels\.gpu==yes not met \(unset\)/,
      );
    }
  }
});

test("reservations: tasks already on a node and tasks placed in the same pass count against its memory and cpus", async () => {
  const memory = serviceSpec("db", {
    taskTemplate: { container: { image: "b" }, resources: { reservations: { memoryBytes: 3 * 2 ** 30 } } },
  });
  const cpu = serviceSpec("calc", {
    taskTemplate: { container: { image: "b" }, resources: { reservations: { cpus: 1.5 } } },
  });
  const store = await seededStore({
    nodes: ["a", "b", "c"],
    services: [
      ["db", memory],
      ["calc", cpu],
    ],
  });
  // c already runs a db task: 1 GiB of its 4 GiB left.
  await addTasks(store, "db", [
    { slot: 9, nodeId: "c", status: { state: "running", timestamp: new Date(T0).toISOString(), message: "" } },
  ]);
  const dbs = await addTasks(store, "db", slots(3));
  await pass(store);
  assert.deepEqual(nodesOf(store, dbs).slice(0, 2).sort(), ["a", "b"]);
  const refused = task(store, dbs[2] ?? "");
  assert.equal(refused.status.state, "pending");
  assert.deepEqual(
    refused.unschedulable?.map((r) => r.reason),
    Array(3).fill("needs 3072 MiB memory reserved, 1024 MiB free"),
  );
  const calcs = await addTasks(store, "calc", [{ slot: 1 }, { slot: 2 }, { slot: 3 }, { slot: 4 }]);
  await pass(store);
  assert.equal(nodesOf(store, calcs).filter((n) => n !== undefined).length, 3);
  assert.match(task(store, calcs[3] ?? "").status.message, /3 nodes: needs 1\.5 CPUs reserved, 0\.5 of 2 free/);
});

test("host-mode published ports: one task per node and port, across services", async () => {
  const hostPort = { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080, publishMode: "host" as const }] } };
  const store = await seededStore({
    nodes: ["a", "b", "c"],
    services: [
      ["web", serviceSpec("web", hostPort)],
      ["other", serviceSpec("other", hostPort)],
    ],
  });
  // The other service's task already holds 8080/tcp on a.
  await addTasks(store, "other", [
    { slot: 1, nodeId: "a", status: { state: "running", timestamp: new Date(T0).toISOString(), message: "" } },
  ]);
  const ids = await addTasks(store, "web", slots(3));
  await pass(store);
  assert.deepEqual(nodesOf(store, ids).slice(0, 2).sort(), ["b", "c"]);
  assert.deepEqual(
    task(store, ids[2] ?? "").unschedulable?.map((r) => r.reason),
    Array(3).fill("host port 8080/tcp is in use"),
  );
  // Ingress ports are not per node.
  const ingress = await seededStore({
    nodes: ["a"],
    services: [["web", serviceSpec("web", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } })]],
  });
  const all = await addTasks(ingress, "web", slots(3));
  await pass(ingress);
  assert.deepEqual(nodesOf(ingress, all), ["a", "a", "a"]);
});

test("maxReplicasPerNode caps the tasks of a service on each node", async () => {
  const store = await seededStore({
    nodes: ["a", "b", "c"],
    services: [
      [
        "web",
        serviceSpec("web", { taskTemplate: { container: { image: "b" }, placement: { maxReplicasPerNode: 2 } } }),
      ],
    ],
  });
  const ids = await addTasks(store, "web", slots(7));
  await pass(store);
  assert.deepEqual(perNode(store, ids), { "-": 1, a: 2, b: 2, c: 2 });
  assert.equal(
    task(store, ids[6] ?? "").status.message,
    "no suitable node (3 nodes: already runs 2 of at most 2 tasks of this service)",
  );
});

test("only tasks that wait for a node are scheduled: not those desired to stop, nor those already placed", async () => {
  const store = await seededStore({ nodes: ["a"], services: [["web", serviceSpec("web")]] });
  const iso = new Date(T0).toISOString();
  const ids = await addTasks(store, "web", [
    { slot: 1, desiredState: "shutdown" },
    { slot: 2, status: { state: "assigned", timestamp: iso, message: "" }, nodeId: "a" },
    { slot: 3, status: { state: "shutdown", timestamp: iso, message: "" } },
  ]);
  assert.equal(await pass(store), 0);
  assert.deepEqual(nodesOf(store, ids), [undefined, "a", undefined]);
});
