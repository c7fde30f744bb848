// The per-node permissions of the bus: every subject an agent uses is allowed to its own node's agent and to no
// other node's, and the in-memory bus enforces them as the real server does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BusPermissionError } from "./errors.js";
import { MemoryBusHub } from "./connection.js";
import { MANAGER_PERMISSIONS, natsPermissions, permits, renderPermissions } from "./permissions.js";
import { subjects } from "./subjects.js";

const s = subjects("c1");
const A = natsPermissions("c1", "a");

/** What an agent of node `n` publishes and subscribes to (session.ts, log-streams.ts, nats.js's request inboxes). */
const agentUses = (n: string) => ({
  publish: [s.register(n), s.heartbeat(n), s.status(n), s.logsOut(n, "stream1")],
  subscribe: [s.assignments(n), s.logs(n), s.logsCancel(n), `${s.inboxPrefix(n)}.AbC123.*`, `${s.inboxPrefix(n)}.7`],
});

test("an agent may use every subject of its own node, and none of another node's", () => {
  for (const op of ["publish", "subscribe"] as const) {
    for (const subject of agentUses("a")[op]) assert.ok(permits(A, op, subject), `a may ${op} ${subject}`);
    for (const subject of agentUses("b")[op]) assert.ok(!permits(A, op, subject), `a may not ${op} ${subject}`);
  }
});

test("an agent may not use wildcards over nodes, other inboxes, or the other direction of its own subjects", () => {
  const refused: ["publish" | "subscribe", string][] = [
    ["subscribe", ">"],
    ["subscribe", "_INBOX.>"],
    ["subscribe", "shoal.c1.agent.*.register"],
    ["subscribe", "shoal.c1.agent.*.assignments"],
    ["subscribe", "shoal.c1.agent.a.>"],
    ["subscribe", "shoal.c1.>"],
    ["subscribe", "shoal.c1.inbox.>"],
    ["subscribe", "shoal.c1.inbox.*.x"],
    ["subscribe", s.status("a")],
    ["subscribe", s.register("a")],
    ["subscribe", `${s.logs("a")}.out.>`],
    ["publish", s.assignments("a")],
    ["publish", s.logs("a")],
    ["publish", s.logsCancel("a")],
    ["publish", "_INBOX.abc"],
    ["publish", `${s.inboxPrefix("b")}.x`],
    ["publish", "shoal.c2.agent.a.register"],
  ];
  for (const [op, subject] of refused) assert.ok(!permits(A, op, subject), `a may not ${op} ${subject}`);
  for (const op of ["publish", "subscribe"] as const) assert.ok(permits(MANAGER_PERMISSIONS, op, "anything.at.all"));
});

test("permissions render as a NATS config block", () => {
  assert.equal(
    renderPermissions({ publish: ["x.y"], subscribe: ["z.>"] }),
    'permissions: { publish: { allow: ["x.y"] }, subscribe: { allow: ["z.>"] } }',
  );
});

test("memory bus, permission mode: refused publishes reach nobody, refused subscriptions get nothing", async () => {
  const hub = new MemoryBusHub();
  const manager = hub.connect();
  const a = hub.connect({ permissions: A, inboxPrefix: s.inboxPrefix("a") });
  const refusals: string[] = [];
  a.onPermissionError((e) => refusals.push(`${e.operation} ${e.subject}`));
  const seen: string[] = [];
  manager.subscribe(">", (m) => seen.push(m.subject));
  const stolen: string[] = [];
  a.subscribe(s.assignments("b"), (m) => stolen.push(m.subject));
  a.subscribe(">", (m) => stolen.push(m.subject));

  a.publish(s.status("b"), Buffer.from("{}"));
  a.publish(s.status("a"), Buffer.from("{}"));
  manager.publish(s.assignments("b"), Buffer.from("{}"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [s.status("a"), s.assignments("b")]);
  assert.deepEqual(stolen, []);
  assert.deepEqual(refusals, [`subscribe ${s.assignments("b")}`, "subscribe >", `publish ${s.status("b")}`]);
  assert.equal(hub.refusals.length, 3);

  // Requests: allowed ones are answered on the node's own inbox; a refused one fails at once.
  manager.subscribe(s.allRegister, (m) => m.respond(Buffer.from(m.reply ?? "")));
  const reply = Buffer.from(await a.request(s.register("a"), Buffer.from("{}"), 1_000)).toString();
  assert.match(reply, /^shoal\.c1\.inbox\.a\./);
  await assert.rejects(a.request(s.register("b"), Buffer.from("{}"), 1_000), BusPermissionError);
  // An agent cannot answer a request made with an inbox outside its subjects.
  a.subscribe(s.logs("a"), (m) => m.respond(Buffer.from("x")));
  const answered: string[] = [];
  manager.subscribe("_INBOX.>", (m) => answered.push(m.subject));
  manager.publish(s.logs("a"), Buffer.from("{}"), "_INBOX.mem.x");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(answered, []);
  assert.equal(hub.refusals.at(-1)?.subject, "_INBOX.mem.x");
});
