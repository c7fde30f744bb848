// Who calls the API over HTTPS: the identity of a valid client certificate, anonymous without one, and a 401
// naming why for a certificate that is refused.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test, type TestContext } from "node:test";
import type { ErrorBody } from "@shoal/api";
import { forgeCertificate, newTestCa, testCa, type TestCredentials } from "@shoal/trust/testing";
import { api, call } from "../testing/api-harness.js";
import { addUser } from "../testing/fixtures.js";
import { apiTlsOf, CLUSTER, DAY, HOUR, listen, tlsFetch } from "../testing/tls-api.js";
import { callerOf, describeCaller, resolveCaller } from "./caller.js";

/**
 * An HTTPS API whose manager certificate is of the test CA of {@link CLUSTER}, trusting `extraTrust` too, with a
 * route that answers the caller; resolves with a function sending a request as `creds` (none: no certificate).
 */
async function httpsApi(t: TestContext, o: { extraTrust?: readonly string[]; clock?: () => number } = {}) {
  const ca = await testCa(CLUSTER);
  const a = await api(t, {
    tls: apiTlsOf(await ca.manager("m1"), [...ca.trust, ...(o.extraTrust ?? [])]),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  let handled = 0;
  a.app.get("/test/caller", (req) => {
    handled++;
    const caller = callerOf(req);
    return {
      caller: describeCaller(caller),
      serial: caller.kind === "certificate" ? caller.certificate.serialNumber : undefined,
    };
  });
  const address = await listen(a.app);
  const send = async (
    creds: Pick<TestCredentials, "chain" | "key"> | undefined,
    path = "/test/caller",
    init: RequestInit = {},
  ): Promise<{ status: number; body: unknown }> => {
    const f = tlsFetch(t, { trust: ca.trust, ...(creds ? { creds } : {}) });
    const res = await f(`https://${address}${path}`, init);
    return { status: res.status, body: await res.json() };
  };
  return { a, ca, send, handled: () => handled };
}

test("callerOf: a valid client certificate gives its identity, no certificate is anonymous; only a credential reads the API", async (t) => {
  const { a, ca, send } = await httpsApi(t);
  const agent = await ca.agent("n1");
  const cases: [string, TestCredentials | undefined, string][] = [
    ["an agent", agent, `shoal://${CLUSTER}/node/n1/agent`],
    ["a manager", await ca.manager("m2"), `shoal://${CLUSTER}/node/m2/manager`],
    ["a user", await ca.user("admin"), `shoal://${CLUSTER}/user/admin`],
    ["no certificate", undefined, "anonymous"],
  ];
  for (const [name, creds, expected] of cases) {
    const res = await send(creds);
    assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal((res.body as { caller: string }).caller, expected, name);
  }
  assert.equal(((await send(agent)).body as { serial: string }).serial, agent.serial, "the leaf is attached");
  // The API's routes want a credential, and an agent's is not one for reading the cluster.
  assert.equal((await send(undefined, "/v1/info")).status, 401);
  assert.equal((await send(agent, "/v1/info")).status, 403);
  // An injected request has no TLS socket: the API's `authenticate` says who it is (here root on n1).
  assert.deepEqual((await call(a, { method: "GET", url: "/test/caller" })).body, {
    caller: "root on manager node n1",
  });
});

test("a refused client certificate gets 401 SHOAL_ERR_UNAUTHENTICATED naming why, on every route", async (t) => {
  const other = await testCa("c-other");
  const { ca, send, handled } = await httpsApi(t, { extraTrust: other.trust });
  const twoDaysAgo = new Date(Date.now() - 2 * DAY);
  const agent = await ca.agent("n1");
  const cases: [string, Pick<TestCredentials, "chain" | "key">, RegExp][] = [
    [
      "an expired certificate",
      await ca.agent("n1", { now: twoDaysAgo, validityMs: HOUR }),
      /^api: the client certificate has expired \(.*CN=n1 expired at /,
    ],
    [
      "a certificate of another CA of the same cluster id",
      await (await newTestCa(CLUSTER)).agent("n1"),
      /^api: the client certificate was not issued by this cluster's CA \(.*CN=n1 was issued by .*, which the cluster does not trust\)/,
    ],
    [
      "a certificate signed by an agent's key (a leaf used as a CA)",
      await forgeCertificate(
        { cert: agent.cert, key: agent.key },
        { kind: "user", clusterId: CLUSTER, userId: "root" },
      ),
      // Node's TLS links a presented issuer only when it may sign certificates, so the agent's certificate is
      // not among those the peer presented and the forgery reads as issued by an unknown CA.
      /^api: the client certificate (?:was not issued by this cluster's CA \(.*CN=root was issued by .*OU=agent, CN=n1, which|chains through a certificate that is not a CA \()/,
    ],
    [
      "the root CA certificate itself",
      { chain: [ca.root.cert], key: ca.root.key },
      /^api: the client certificate is a CA certificate, not a client's \(/,
    ],
    [
      "a certificate of another cluster whose root is trusted",
      await other.agent("n1"),
      /^api: the client certificate names an identity of another cluster \(shoal:\/\/c-other\/node\/n1\/agent is of cluster c-other, not c1\)/,
    ],
  ];
  for (const [name, creds, message] of cases) {
    for (const path of ["/test/caller", "/v1/info"]) {
      const res = await send(creds, path);
      assert.equal(res.status, 401, `${name} on ${path}: ${JSON.stringify(res.body)}`);
      const e = (res.body as ErrorBody).error;
      assert.equal(e.code, "SHOAL_ERR_UNAUTHENTICATED", name);
      assert.match(e.message, message, name);
      assert.ok(e.hint, name);
    }
  }
  assert.equal(handled(), 0, "no refused request reached a handler");
});

test("the caller is refused before the body is read: a refused certificate with a malformed body gets 401, not 400", async (t) => {
  const { a, ca, send } = await httpsApi(t);
  const expired = await ca.agent("n1", { now: new Date(Date.now() - 2 * DAY), validityMs: HOUR });
  const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" };
  const refused = await send(expired, "/v1/services", post);
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.equal((refused.body as ErrorBody).error.code, "SHOAL_ERR_UNAUTHENTICATED");
  // So is an agent, whose certificate is valid but may not create services: 403, the body still unread.
  assert.equal((await send(await ca.agent("n1"), "/v1/services", post)).status, 403);
  // The same body from an admin is read, and refused as a body.
  const admin = await ca.user("admin");
  await addUser(a.store, "admin", { serials: [admin.serial] });
  const valid = await send(admin, "/v1/services", post);
  assert.equal(valid.status, 400, JSON.stringify(valid.body));
  assert.equal(a.store.state.list("service").length, 1);
});

test("certificates are checked at the time of the API's clock", async (t) => {
  let now = Date.now();
  const { ca, send } = await httpsApi(t, { clock: () => now });
  const agent = await ca.agent("n1", { validityMs: HOUR });
  assert.equal((await send(agent)).status, 200);
  now += 2 * HOUR;
  const res = await send(agent);
  assert.equal(res.status, 401);
  assert.match((res.body as ErrorBody).error.message, /has expired/);
});

test("resolveCaller: nothing presented is anonymous; a verified chain gives the identity and the leaf", async () => {
  const ca = await testCa(CLUSTER);
  const trust = { roots: [new X509Certificate(ca.root.cert)], clusterId: CLUSTER };
  assert.deepEqual(resolveCaller([], trust, new Date()), { kind: "anonymous" });
  const agent = await ca.agent("n2");
  const caller = resolveCaller([new X509Certificate(agent.cert)], trust, new Date());
  assert.equal(caller.kind, "certificate");
  assert.equal(describeCaller(caller), `shoal://${CLUSTER}/node/n2/agent`);
  assert.throws(() => resolveCaller([new X509Certificate(agent.cert)], trust, new Date(Date.now() + 2 * DAY)), {
    code: "SHOAL_ERR_UNAUTHENTICATED",
    status: 401,
    reason: "expired",
  });
});
