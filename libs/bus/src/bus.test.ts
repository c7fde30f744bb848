import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Task } from "@shoal/api";
import { applyAssignments, type AssignmentSet } from "./assignment-set.js";
import { decode, encode } from "./codec.js";
import { BusProtocolError } from "./errors.js";
import { AssignmentsSchema, RegisterRequestSchema } from "./messages.js";
import { subjects } from "./subjects.js";

const T = "2026-11-23T10:00:00.000Z";
const task = (id: string): Task => ({
  id,
  version: 1,
  createdAt: T,
  updatedAt: T,
  serviceId: "s1",
  slot: 1,
  nodeId: "n1",
  spec: ServiceSpecSchema.parse({ name: "web", taskTemplate: { container: { image: "b" } } }).taskTemplate,
  serviceVersion: 1,
  desiredState: "running",
  status: { state: "assigned", timestamp: T, message: "" },
  endpoint: { ports: [] },
  networks: [],
});

test("subjects are scoped by cluster and node, and refuse ids that are not tokens", () => {
  const s = subjects("c1");
  assert.equal(s.register("n1"), "shoal.c1.agent.n1.register");
  assert.equal(s.assignments("n1"), "shoal.c1.agent.n1.assignments");
  assert.equal(s.logsOut("n1", "st1"), "shoal.c1.agent.n1.logs.out.st1");
  assert.equal(s.inboxPrefix("n1"), "shoal.c1.inbox.n1");
  assert.equal(s.allStatus, "shoal.c1.agent.*.status");
  assert.equal(s.allRegister, "shoal.c1.agent.*.register");
  assert.throws(() => s.status("a.b"), /subject token/);
  assert.throws(() => s.logsOut("n1", "x.>"), /log stream id/);
  assert.throws(() => subjects("c 1"), /subject token/);
});

test("the node of a subject is read only from the cluster's agent subjects", () => {
  const s = subjects("c1");
  const cases: [string, string | undefined][] = [
    ["shoal.c1.agent.n1.register", "n1"],
    ["shoal.c1.agent.n-2.status", "n-2"],
    ["shoal.c2.agent.n1.register", undefined],
    ["shoal.c1.inbox.n1.x", undefined],
    ["shoal.c1.agent", undefined],
    ["shoal.c1.agent.*.register", undefined],
    ["_INBOX.shoal.c1.agent.n1", undefined],
  ];
  for (const [subject, node] of cases) assert.equal(s.nodeOf(subject), node, subject);
});

test("messages round-trip; bad ones are refused naming the field", () => {
  const subject = "shoal.c1.agent.n1.register";
  const msg = {
    hostname: "h",
    addr: "10.0.0.2",
    platform: { os: "linux", architecture: "x86_64" },
    resources: { cpus: 2, memoryBytes: 1024 },
    engineVersion: "0.1.0",
  };
  const back = decode(RegisterRequestSchema, subject, encode(RegisterRequestSchema, subject, msg));
  assert.deepEqual(back.running, []);
  assert.throws(() => decode(RegisterRequestSchema, subject, Buffer.from("{nope")), BusProtocolError);
  assert.throws(
    () =>
      decode(
        RegisterRequestSchema,
        subject,
        Buffer.from(JSON.stringify({ ...msg, resources: { cpus: 0, memoryBytes: 1 } })),
      ),
    /resources\.cpus/,
  );
});

test("assignments: a full set, then deltas in sequence; a gap or a foreign session asks for a resync", () => {
  const full = decode(
    AssignmentsSchema,
    "x",
    encode(AssignmentsSchema, "x", { type: "full", sessionId: "s", seq: 1, tasks: [task("t1"), task("t2")] }),
  );
  const r1 = applyAssignments(undefined, full);
  assert.ok("set" in r1);
  const set: AssignmentSet = r1.set;
  const r2 = applyAssignments(set, {
    type: "delta",
    sessionId: "s",
    seq: 2,
    changes: [
      { op: "remove", taskId: "t1" },
      { op: "upsert", task: task("t3") },
    ],
  });
  assert.ok("set" in r2);
  assert.deepEqual([...r2.set.tasks.keys()].sort(), ["t2", "t3"]);
  assert.match(
    (applyAssignments(r2.set, { type: "delta", sessionId: "s", seq: 4, changes: [] }) as { resync: string }).resync,
    /lost/,
  );
  assert.ok("resync" in applyAssignments(r2.set, { type: "delta", sessionId: "other", seq: 3, changes: [] }));
  assert.ok("resync" in applyAssignments(undefined, { type: "delta", sessionId: "s", seq: 1, changes: [] }));
  // A new session's full set replaces everything.
  const r3 = applyAssignments(r2.set, { type: "full", sessionId: "s2", seq: 1, tasks: [] });
  assert.ok("set" in r3 && r3.set.tasks.size === 0);
});
