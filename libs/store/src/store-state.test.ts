import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Service, type Task } from "@shoal/api";
import { AlreadyExistsError, NotFoundError, VersionConflictError } from "./errors.js";
import { StoreState, type Command, type StoreSnapshot } from "./store-state.js";

const T = "2026-11-23T10:00:00.000Z";
const spec = (name: string) => ServiceSpecSchema.parse({ name, taskTemplate: { container: { image: "busybox" } } });
const service = (id: string, name: string): Omit<Service, "version" | "createdAt" | "updatedAt"> => ({
  id,
  spec: spec(name),
  endpoint: { ports: [], virtualIps: [] },
});
const task = (id: string, serviceId: string, nodeId?: string): Omit<Task, "version" | "createdAt" | "updatedAt"> => ({
  id,
  serviceId,
  slot: 1,
  ...(nodeId ? { nodeId } : {}),
  spec: spec("x").taskTemplate,
  serviceVersion: 1,
  desiredState: "running",
  status: { state: "new", timestamp: T, message: "" },
  endpoint: { ports: [] },
  networks: [],
});

test("writes stamp version with the batch index and keep createdAt", () => {
  const s = new StoreState();
  s.apply(1, T, [{ op: "create", kind: "service", object: service("s1", "web") }]);
  assert.equal(s.get("service", "s1")?.version, 1);
  const ev = s.apply(2, "2026-11-23T10:00:01.000Z", [
    { op: "update", kind: "service", object: service("s1", "web"), expectedVersion: 1 },
  ]);
  const now = s.get("service", "s1");
  assert.equal(now?.version, 2);
  assert.equal(now?.createdAt, T);
  assert.equal(now?.updatedAt, "2026-11-23T10:00:01.000Z");
  assert.equal(ev[0]?.op, "update");
  assert.equal(ev[0]?.previous?.version, 1);
});

test("a stale expectedVersion is a conflict and changes nothing", () => {
  const s = new StoreState();
  s.apply(1, T, [{ op: "create", kind: "service", object: service("s1", "web") }]);
  s.apply(2, T, [{ op: "update", kind: "service", object: service("s1", "web") }]);
  assert.throws(
    () => s.apply(3, T, [{ op: "update", kind: "service", object: service("s1", "web"), expectedVersion: 1 }]),
    VersionConflictError,
  );
  assert.equal(s.get("service", "s1")?.version, 2);
  assert.equal(s.appliedIndex, 2);
});

test("a batch is all or nothing", () => {
  const s = new StoreState();
  const batch: Command[] = [
    { op: "create", kind: "service", object: service("s1", "web") },
    { op: "create", kind: "task", object: task("t1", "s1", "n1") },
    { op: "delete", kind: "task", id: "missing" },
  ];
  assert.throws(() => s.apply(1, T, batch), NotFoundError);
  assert.deepEqual(s.list("service"), []);
  assert.deepEqual(s.tasksOfNode("n1"), []);
});

test("service and network names are unique, also within one batch", () => {
  const s = new StoreState();
  s.apply(1, T, [{ op: "create", kind: "service", object: service("s1", "web") }]);
  assert.throws(
    () => s.apply(2, T, [{ op: "create", kind: "service", object: service("s2", "web") }]),
    AlreadyExistsError,
  );
  assert.throws(
    () =>
      s.apply(2, T, [
        { op: "create", kind: "service", object: service("s2", "api") },
        { op: "create", kind: "service", object: service("s3", "api") },
      ]),
    AlreadyExistsError,
  );
  // Renaming frees the old name in the same batch.
  s.apply(2, T, [
    { op: "update", kind: "service", object: service("s1", "web2") },
    { op: "create", kind: "service", object: service("s2", "web") },
  ]);
  assert.equal(s.byName("service", "web")?.id, "s2");
});

test("task indexes follow moves and deletes; snapshots restore everything", () => {
  const s = new StoreState();
  s.apply(1, T, [
    { op: "create", kind: "service", object: service("s1", "web") },
    { op: "create", kind: "task", object: task("t1", "s1") },
  ]);
  assert.deepEqual(
    s.tasksOfService("s1").map((t) => t.id),
    ["t1"],
  );
  s.apply(2, T, [{ op: "update", kind: "task", object: task("t1", "s1", "n1") }]);
  assert.deepEqual(
    s.tasksOfNode("n1").map((t) => t.id),
    ["t1"],
  );
  const copy = new StoreState();
  copy.restore(JSON.parse(JSON.stringify(s.snapshot())) as StoreSnapshot);
  assert.deepEqual(copy.snapshot(), s.snapshot());
  assert.deepEqual(
    copy.tasksOfNode("n1").map((t) => t.id),
    ["t1"],
  );
  s.apply(3, T, [{ op: "delete", kind: "task", id: "t1" }]);
  assert.deepEqual(s.tasksOfNode("n1"), []);
  assert.deepEqual(s.tasksOfService("s1"), []);
});
