import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Node, type Service, type ServiceSpecInput, type Task } from "@shoal/api";
import { buildNodeInfos, explain, planPlacements } from "./plan.js";

const T = "2026-11-23T10:00:00.000Z";
const meta = (id: string) => ({ id, version: 1, createdAt: T, updatedAt: T });

function node(
  id: string,
  o: {
    labels?: Record<string, string>;
    availability?: "active" | "pause" | "drain";
    state?: "ready" | "down";
    memoryGiB?: number;
    role?: "manager" | "worker";
  } = {},
): Node {
  return {
    ...meta(id),
    spec: { labels: o.labels ?? {}, role: o.role ?? "worker", availability: o.availability ?? "active" },
    description: {
      hostname: `host-${id}`,
      platform: { os: "linux", architecture: "x86_64" },
      resources: { cpus: 2, memoryBytes: (o.memoryGiB ?? 4) * 2 ** 30 },
      engine: { version: "1", labels: {} },
    },
    status: { state: o.state ?? "ready", message: "", addr: "10.0.0.1" },
  };
}

function service(id: string, extra: Partial<ServiceSpecInput> = {}): Service {
  return {
    ...meta(id),
    spec: ServiceSpecSchema.parse({ name: id, taskTemplate: { container: { image: "busybox" } }, ...extra }),
    endpoint: { ports: [], virtualIps: [] },
  };
}

function tasks(svc: Service, n: number, nodeId?: string): Task[] {
  return Array.from({ length: n }, (_, i) => ({
    ...meta(`${svc.id}-t${i}${nodeId ?? ""}`),
    serviceId: svc.id,
    slot: i + 1,
    ...(nodeId ? { nodeId } : {}),
    spec: svc.spec.taskTemplate,
    serviceVersion: 1,
    desiredState: "running" as const,
    status: { state: nodeId ? ("running" as const) : ("pending" as const), timestamp: T, message: "" },
    endpoint: { ports: [] },
    networks: [],
  }));
}

function plan(svc: Service, pending: Task[], nodes: Node[], placed: Task[] = []) {
  const infos = buildNodeInfos(nodes, placed, new Map([[svc.id, svc]]));
  return planPlacements(
    pending.map((task) => ({ task, service: svc })),
    infos,
  );
}

test("replicas spread evenly over the ready, active nodes", () => {
  const web = service("web");
  const p = plan(web, tasks(web, 6), [
    node("a"),
    node("b"),
    node("c"),
    node("d", { availability: "drain" }),
    node("e", { state: "down" }),
  ]);
  const per = new Map<string, number>();
  for (const n of p.assignments.values()) per.set(n, (per.get(n) ?? 0) + 1);
  assert.deepEqual([...per].sort(), [
    ["a", 2],
    ["b", 2],
    ["c", 2],
  ]);
});

test("tasks already running count: new ones go where the service has fewest", () => {
  const web = service("web");
  const p = plan(web, tasks(web, 2), [node("a"), node("b"), node("c")], [...tasks(web, 2, "a"), ...tasks(web, 1, "b")]);
  assert.deepEqual([...p.assignments.values()].sort(), ["b", "c"]);
});

test("a task no node can take stays pending with a reason per node", () => {
  const big = service("big", {
    taskTemplate: { container: { image: "b" }, resources: { reservations: { memoryBytes: 8 * 2 ** 30 } } },
  });
  const p = plan(big, tasks(big, 1), [node("a"), node("b", { availability: "drain" }), node("c", { state: "down" })]);
  const refusals = p.unschedulable.get("big-t0");
  assert.deepEqual(
    refusals?.map((r) => [r.nodeId, r.reason]),
    [
      ["a", "needs 8192 MiB memory reserved, 4096 MiB free"],
      ["b", "node availability is drain"],
      ["c", "node is down"],
    ],
  );
  assert.match(
    explain(refusals ?? []),
    /^no suitable node \(1 node: needs 8192 MiB.*; 1 node: node availability is drain; 1 node: node is down\)$/,
  );
});

test("reservations accumulate within one plan", () => {
  const svc = service("db", {
    taskTemplate: { container: { image: "b" }, resources: { reservations: { memoryBytes: 3 * 2 ** 30 } } },
  });
  const p = plan(svc, tasks(svc, 3), [node("a"), node("b")]);
  assert.equal(p.assignments.size, 2);
  assert.ok(p.unschedulable.has("db-t2"));
});

test("constraints, host ports and max replicas per node are honoured", () => {
  const zoned = service("z", {
    taskTemplate: {
      container: { image: "b" },
      placement: { constraints: ["node.labels.zone==eu", "node.role!=manager"] },
    },
  });
  const p1 = plan(zoned, tasks(zoned, 2), [
    node("a", { labels: { zone: "eu" } }),
    node("b", { labels: { zone: "us" } }),
    node("c", { labels: { zone: "eu" }, role: "manager" }),
  ]);
  assert.deepEqual([...p1.assignments.values()], ["a", "a"]);
  const hp = service("hp", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080, publishMode: "host" }] } });
  const p2 = plan(hp, tasks(hp, 3), [node("a"), node("b")]);
  assert.equal(p2.assignments.size, 2);
  assert.match(p2.unschedulable.get("hp-t2")?.[0]?.reason ?? "", /host port 8080\/tcp is in use/);
  const capped = service("cap", { taskTemplate: { container: { image: "b" }, placement: { maxReplicasPerNode: 1 } } });
  const p3 = plan(capped, tasks(capped, 3), [node("a"), node("b")]);
  assert.equal(p3.assignments.size, 2);
  assert.match(p3.unschedulable.get("cap-t2")?.[0]?.reason ?? "", /at most 1/);
});

test("spread preferences balance over label values first", () => {
  const svc = service("s", {
    taskTemplate: { container: { image: "b" }, placement: { preferences: [{ spread: "node.labels.rack" }] } },
  });
  // Rack r1 has three nodes, r2 one: per-rack spread puts half the tasks on r2's single node.
  const p = plan(svc, tasks(svc, 4), [
    node("a", { labels: { rack: "r1" } }),
    node("b", { labels: { rack: "r1" } }),
    node("c", { labels: { rack: "r1" } }),
    node("d", { labels: { rack: "r2" } }),
  ]);
  const onD = [...p.assignments.values()].filter((n) => n === "d").length;
  assert.equal(onD, 2);
});
