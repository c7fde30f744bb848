// The routes only a node's own certificate may call: its certificates (`self`) and joining Raft (`manager`),
// and the identity a forwarding manager names, over real TLS with certificates of the fixtures' CA.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test, type TestContext } from "node:test";
import { ApiError, type ManagerJoinReply } from "@shoal/api";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { newTestCa, type TestCa } from "@shoal/trust/testing";
import { nodeObject, userObject } from "../testing/fixtures.js";
import { api } from "../testing/api-harness.js";
import { TEST_CA } from "../testing/test-ca.js";
import { apiTlsOf, CLUSTER, listen, tlsClient, tlsFetch } from "../testing/tls-api.js";

const ca: TestCa = await newTestCa(CLUSTER, { cert: TEST_CA.cert, key: TEST_CA.key, chain: [] });
const { csr } = await generateKeyAndCsr();
/** An admin user of the cluster (the store lists it in `setup`): a user, not a node, even as admin. */
const u1 = await ca.user("u1");
const WHERE = {
  raftAddr: "10.0.0.5:7071",
  apiAddr: "10.0.0.5:7070",
  natsUrl: "nats://10.0.0.5:7072",
  natsRouteAddr: "10.0.0.5:7073",
};

/** An HTTPS API with node n1 (worker), m1 (manager) and a recorded manager join; clients per identity. */
async function setup(t: TestContext) {
  const joins: unknown[] = [];
  const reply: ManagerJoinReply = { clusterId: CLUSTER, raftId: 2, members: [], natsRouteAddrs: [] };
  const a = await api(t, {
    tls: apiTlsOf(await ca.manager("m0", ["127.0.0.1"])),
    joinManager: (req) => {
      joins.push(req);
      return Promise.resolve(reply);
    },
  });
  await a.store.write([
    { op: "create", kind: "node", object: nodeObject("m1", { role: "manager" }) },
    { op: "create", kind: "user", object: userObject("u1", { serials: [u1.serial] }) },
  ]);
  const address = await listen(a.app);
  const as = (creds?: Parameters<typeof tlsClient>[2]["creds"]) =>
    tlsClient(t, address, { trust: ca.trust, ...(creds ? { creds } : {}) });
  return { a, joins, address, as };
}

const refusal = async (p: Promise<unknown>, status: number, code: string, message?: RegExp) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.deepEqual([e.status, e.code], [status, code], e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
};

test("a node's certificate: its agent gets one naming it; a manager certificate only for a manager node", async (t) => {
  const { a, as } = await setup(t);
  const n1 = as(await ca.agent("n1"));
  const agent = await n1.call("nodeCertificate", { body: { kind: "agent", csr } });
  assert.equal(new X509Certificate(agent.certificate).subjectAltName, "URI:shoal://c1/node/n1/agent");
  assert.equal(agent.trust, TEST_CA.cert);
  assert.deepEqual(
    a.store.state.get("node", "n1")?.certificates?.map((c) => c.kind),
    ["agent"],
  );
  await refusal(
    n1.call("nodeCertificate", { body: { kind: "manager", csr } }),
    403,
    "SHOAL_ERR_FORBIDDEN",
    /n1 is a worker/,
  );

  const m1 = as(await ca.agent("m1"));
  const manager = await m1.call("nodeCertificate", { body: { kind: "manager", csr, addresses: ["10.0.0.5"] } });
  const leaf = new X509Certificate(manager.certificate);
  assert.match(leaf.subjectAltName ?? "", /URI:shoal:\/\/c1\/node\/m1\/manager/);
  assert.match(leaf.subjectAltName ?? "", /IP Address:10\.0\.0\.5/);

  await refusal(as().call("nodeCertificate", { body: { kind: "agent", csr } }), 401, "SHOAL_ERR_UNAUTHENTICATED");
  await refusal(
    as(await ca.agent("gone")).call("nodeCertificate", { body: { kind: "agent", csr } }),
    401,
    "SHOAL_ERR_UNAUTHENTICATED",
    /names node gone, which the cluster no longer has/,
  );
  await refusal(as(u1).call("nodeCertificate", { body: { kind: "agent", csr } }), 403, "SHOAL_ERR_FORBIDDEN");
});

test("joining Raft takes the manager certificate of a node whose role is manager, and nothing else", async (t) => {
  const { joins, as } = await setup(t);
  await refusal(as().call("clusterManagerJoin", { body: WHERE }), 401, "SHOAL_ERR_UNAUTHENTICATED");
  await refusal(
    as(await ca.agent("m1")).call("clusterManagerJoin", { body: WHERE }),
    403,
    "SHOAL_ERR_FORBIDDEN",
    /an agent certificate calls only its own node's routes/,
  );
  // A manager certificate left from before the node was demoted.
  await refusal(
    as(await ca.manager("n1")).call("clusterManagerJoin", { body: WHERE }),
    403,
    "SHOAL_ERR_FORBIDDEN",
    /node n1 is no longer a manager/,
  );
  assert.deepEqual(joins, []);
  const ok = await as(await ca.manager("m1")).call("clusterManagerJoin", { body: WHERE });
  assert.equal(ok.raftId, 2);
  assert.deepEqual(joins, [{ ...WHERE, nodeId: "m1" }]);
});

test("a forwarded request is its caller's: named by a manager node's manager certificate, never claimed by others", async (t) => {
  const { address } = await setup(t);
  const post = async (creds: Awaited<ReturnType<TestCa["agent"]>>, headers: Record<string, string>) => {
    const res = await tlsFetch(t, { trust: ca.trust, creds })(`https://${address}/v1/nodes/self/certificate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shoal-forwarded": "1", ...headers },
      body: JSON.stringify({ kind: "manager", csr }),
    });
    const body = (await res.json()) as { certificate?: string; error?: { code: string } };
    return { status: res.status, subject: body.certificate && new X509Certificate(body.certificate).subjectAltName };
  };
  const m1 = await ca.manager("m1");
  // m1's manager forwards for m1's agent: the certificate is for the caller it names.
  assert.deepEqual(await post(m1, { "x-shoal-forwarded-for": "shoal://c1/node/m1/agent" }), {
    status: 200,
    subject: "URI:shoal://c1/node/m1/manager, IP Address:127.0.0.1, DNS:localhost",
  });
  // Forwarding for n1 (a worker): refused as n1's, not granted as the manager's.
  assert.equal((await post(m1, { "x-shoal-forwarded-for": "shoal://c1/node/n1/agent" })).status, 403);
  // Forwarding without naming anyone: anonymous.
  assert.equal((await post(m1, {})).status, 401);
  // An agent cannot claim to forward for anyone: the header is ignored and it is refused as itself.
  assert.equal((await post(await ca.agent("n1"), { "x-shoal-forwarded-for": "shoal://c1/node/m1/agent" })).status, 403);
});
