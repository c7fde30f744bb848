// The managers' bus server as the store configures it: mutual TLS, each node's agent confined to its subjects,
// removed nodes and demoted managers locked out at the reload their removal causes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect as natsConnect } from "nats";
import { connectNatsBus, subjects } from "@shoal/bus";
import { anyManagerOf, identityCheck } from "@shoal/trust";
import { newTestCa, testCa } from "@shoal/trust/testing";
import { busServer, credentialFiles } from "../testing/bus-server.js";
import { changeNode, pollUntil, seededStore } from "../testing/fixtures.js";

const s = subjects("c1");

test("worker A's certificate: B's subjects, wildcards and _INBOX are refused, and nothing reaches B or the managers", async (t) => {
  const store = await seededStore({ nodes: [["m1", { role: "manager" }], "a", "b"] });
  const server = await busServer(t, store);
  const ca = await testCa("c1");
  const manager = await server.connect(await ca.manager("m1"), "m1");
  const heard: string[] = [];
  for (const subject of [s.allRegister, s.allStatus, s.allHeartbeats, ">"])
    manager.bus.subscribe(subject, (m) => heard.push(m.subject));
  const b = await server.connect(await ca.agent("b"), "b", { inboxPrefix: s.inboxPrefix("b") });
  const toB: string[] = [];
  b.bus.subscribe(s.assignments("b"), (m) => toB.push(Buffer.from(m.data).toString()));
  const a = await server.connect(await ca.agent("a"), "a", { inboxPrefix: s.inboxPrefix("a") });
  const stolen: string[] = [];
  for (const subject of [s.assignments("b"), "shoal.c1.agent.*.register", ">", "_INBOX.>"])
    a.bus.subscribe(subject, (m) => stolen.push(m.subject));
  a.bus.publish(s.status("b"), Buffer.from('{"sessionId":"x","updates":[]}'));
  await assert.rejects(a.bus.request(s.register("b"), Buffer.from("{}"), 2_000), {
    code: "SHOAL_ERR_BUS_PERMISSION",
  });
  await Promise.all([a.bus.flush(), b.bus.flush(), manager.bus.flush()]);

  manager.bus.publish(s.assignments("b"), Buffer.from("for b"));
  a.bus.publish(s.status("a"), Buffer.from("a's own"));
  await pollUntil(() => toB.length === 1 && heard.includes(s.status("a")), "b's message and a's own status");
  await pollUntil(() => a.refusals.length >= 6, "six refusals", 5_000);
  assert.deepEqual(a.refusals.map((e) => `${e.operation} ${e.subject}`).sort(), [
    "publish shoal.c1.agent.b.register",
    "publish shoal.c1.agent.b.status",
    "subscribe >",
    "subscribe _INBOX.>",
    "subscribe shoal.c1.agent.*.register",
    "subscribe shoal.c1.agent.b.assignments",
  ]);
  assert.deepEqual(stolen, [], "a received nothing of b's or anyone's");
  assert.deepEqual(toB, ["for b"]);
  assert.ok(
    !heard.includes(s.status("b")) && !heard.includes(s.register("b")),
    "no forged message reached the managers",
  );
  // A's connection is still up and its own subjects still work.
  assert.deepEqual(a.statuses, []);
});

test("a client without a certificate, or with another CA's, fails the TLS handshake", async (t) => {
  const store = await seededStore({ nodes: ["a"] });
  const server = await busServer(t, store);
  const ca = await testCa("c1");
  await server.connect(await ca.agent("a"), "a"); // the server is up, and a's own certificate works
  const files = await credentialFiles(t, await ca.agent("a"));
  await assert.rejects(
    natsConnect({
      servers: [server.sup.url],
      tls: { caFile: files.trust, ...({ checkServerIdentity: identityCheck(anyManagerOf("c1")) } as object) },
      timeout: 2_000,
      reconnect: false,
    }),
  );
  const foreign = await credentialFiles(t, await (await newTestCa("c1")).agent("a"));
  await assert.rejects(
    connectNatsBus({
      servers: [server.sup.url],
      tls: {
        certFile: foreign.agent.cert,
        keyFile: foreign.agent.key,
        caFile: files.trust,
        checkServerIdentity: identityCheck(anyManagerOf("c1")),
      },
      name: "foreign",
      connectTimeoutMs: 2_000,
    }),
    /bus: cannot connect to/,
  );
});

test("node rm: the reload closes the node's connection, and its certificate is refused from then on", async (t) => {
  const store = await seededStore({ nodes: ["a", "b"] });
  const server = await busServer(t, store);
  const ca = await testCa("c1");
  const creds = await ca.agent("a");
  const a = await server.connect(creds, "a");
  const b = await server.connect(await ca.agent("b"), "b");
  const removedAt = Date.now();
  await store.write([{ op: "delete", kind: "node", id: "a" }]);
  await pollUntil(() => a.statuses.length > 0, "a's connection to drop", 2_000, 10);
  const droppedAfterMs = Date.now() - removedAt;
  assert.ok(droppedAfterMs < 2_000, `dropped within 2 s (${droppedAfterMs} ms)`);
  assert.equal(server.reloads.at(-1)?.result, "reloaded");
  // Refused again on reconnecting, the client gives up and says why (the agent stops on it, as on an unknown node).
  await pollUntil(() => a.statuses.includes("refused"), "the connection refused for good", 5_000);
  await assert.rejects(server.connect(creds, "a again"), /refused the certificate/);
  // Others are not disturbed.
  assert.deepEqual(b.statuses, []);
  await b.bus.flush();
});

test("node demote: the old manager certificate is refused, and the node's agent has its own subjects only", async (t) => {
  const store = await seededStore({ nodes: [["m1", { role: "manager" }], ["m2", { role: "manager" }], "a"] });
  const server = await busServer(t, store);
  const ca = await testCa("c1");
  const m2 = await ca.manager("m2");
  const before = await server.connect(m2, "m2 as manager");
  before.bus.subscribe(s.assignments("a"), () => undefined);
  await before.bus.flush();
  assert.deepEqual(before.refusals, [], "a manager may subscribe to any node's subjects");

  await changeNode(store, "m2", { spec: { role: "worker" } });
  await pollUntil(() => before.statuses.length > 0, "the manager connection to drop", 2_000, 10);
  await assert.rejects(server.connect(m2, "m2 demoted"), /refused the certificate/);
  const agent = await server.connect(await ca.agent("m2"), "m2's agent");
  agent.bus.subscribe(s.assignments("a"), () => undefined);
  agent.bus.subscribe(s.assignments("m2"), () => undefined);
  await pollUntil(() => agent.refusals.length > 0, "a refusal");
  assert.deepEqual(
    agent.refusals.map((e) => e.subject),
    [s.assignments("a")],
  );
});
