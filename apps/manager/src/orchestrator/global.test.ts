import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Node, type Service, type Task } from "@shoal/api";
import { reconcileGlobal } from "./global.js";

const T = "2026-11-23T10:00:00.000Z";
const NOW = Date.parse(T);
const node = (id: string, o: { availability?: "active" | "drain"; labels?: Record<string, string> } = {}): Node => ({
  id,
  version: 1,
  createdAt: T,
  updatedAt: T,
  spec: { labels: o.labels ?? {}, role: "worker", availability: o.availability ?? "active" },
  description: {
    hostname: id,
    platform: { os: "linux", architecture: "x86_64" },
    resources: { cpus: 2, memoryBytes: 2 ** 30 },
    engine: { version: "1", labels: {} },
  },
  status: { state: "ready", message: "", addr: "10.0.0.1" },
});
const svc = (constraints: string[] = []): Service => ({
  id: "g",
  version: 3,
  createdAt: T,
  updatedAt: T,
  endpoint: { ports: [], virtualIps: [] },
  spec: ServiceSpecSchema.parse({
    name: "agent",
    mode: { mode: "global" },
    taskTemplate: { container: { image: "b" }, placement: { constraints }, restartPolicy: { delayMs: 1000 } },
  }),
});
const task = (s: Service, id: string, nodeId: string, state: Task["status"]["state"], endedAgoMs = 0): Task => ({
  id,
  version: 1,
  createdAt: T,
  updatedAt: T,
  serviceId: s.id,
  nodeId,
  spec: s.spec.taskTemplate,
  serviceVersion: 3,
  desiredState: "running",
  status: { state, timestamp: new Date(NOW - endedAgoMs).toISOString(), message: "" },
  endpoint: { ports: [] },
  networks: [],
});

test("one task per eligible node; none on drained nodes or nodes failing a constraint", () => {
  let n = 0;
  const s = svc(["node.labels.gpu!=no"]);
  const d = reconcileGlobal(
    s,
    [node("a"), node("b", { availability: "drain" }), node("c", { labels: { gpu: "no" } }), node("d")],
    [task(s, "t1", "a", "running"), task(s, "t2", "b", "running")],
    NOW,
    () => `n${++n}`,
  );
  assert.deepEqual(
    d.create.map((t) => t.nodeId),
    ["d"],
  );
  assert.deepEqual(d.shutdown, ["t2"]);
});

test("an ended task is replaced on its node after the restart delay", () => {
  const s = svc();
  assert.deepEqual(reconcileGlobal(s, [node("a")], [task(s, "t1", "a", "failed", 500)], NOW, () => "x").create, []);
  assert.deepEqual(
    reconcileGlobal(s, [node("a")], [task(s, "t1", "a", "failed", 1500)], NOW, () => "x").create.map((t) => t.nodeId),
    ["a"],
  );
});
