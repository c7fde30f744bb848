// The join tokens and the cluster's secrets: which role a token admits through the API, rotation, the routes
// that hand a secret out, who may read the tokens, and no secret in the cluster object or the event stream.
import assert from "node:assert/strict";
import { test } from "node:test";
import { X509Certificate } from "node:crypto";
import { ROUTES, type JoinInfo, type RouteName } from "@shoal/api";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { addUser, certificateCaller, fixtureTokens, secretsObject, serviceSpec } from "../testing/fixtures.js";
import { testCa } from "@shoal/trust/testing";
import { api, call, error, LOCAL_ADMIN, type Request } from "../testing/api-harness.js";
import { ANONYMOUS, type Caller } from "./caller.js";
import { RSA_CSR } from "../testing/rsa-csr.js";

const { csr: CSR } = await generateKeyAndCsr({ commonName: "asks to be a manager" });

test("cluster join: a bad token is 401 saying what is wrong; a good one tells where the bus is, and no secret", async (t) => {
  const a = await api(t);
  const join = (token: string): Request => ({ method: "POST", url: "/v1/cluster/join", body: { token, csr: CSR } });
  const old = await error(a, join("SHLTKN-1-c1-wwrong"), 401);
  assert.equal(old.code, "SHOAL_ERR_INVALID_TOKEN");
  assert.match(old.message, /malformed: it has 4 parts|malformed: .*digest/);
  assert.match(old.hint ?? "", /shoal cluster join-token/);
  const { manager } = fixtureTokens();
  const wrong = manager.slice(0, -1) + (manager.endsWith("a") ? "b" : "a");
  const e = await error(a, join(wrong), 401);
  assert.equal(e.message, "the join token is not valid for this cluster");
  const nodes = a.store.state.list("node").length;
  const ok = await call(a, join(manager));
  assert.equal(ok.status, 200);
  const { certificate, trust, time, nodeId, ...rest } = ok.body as JoinInfo;
  assert.deepEqual(rest, {
    clusterId: "c1",
    role: "manager",
    natsUrls: ["nats://127.0.0.1:7072"],
    managers: ["127.0.0.1:7070"],
  });
  assert.ok(Date.parse(time) > 0);
  assert.equal(a.store.state.list("node").length, nodes + 1, "refused tokens made no node");
  assert.equal(trust, secretsObject().ca.roots.join(""));
  // The certificate names the new node's agent, whatever the CSR asked for, and the node records it.
  const leaf = new X509Certificate(certificate);
  assert.equal(leaf.subjectAltName, `URI:shoal://c1/node/${nodeId}/agent`);
  assert.match(leaf.subject, new RegExp(`CN=${nodeId}`));
  assert.ok(leaf.verify(new X509Certificate(trust).publicKey));
  const node = a.store.state.get("node", nodeId);
  assert.equal(node?.spec.role, "manager");
  assert.equal(node?.status.state, "unknown");
  assert.deepEqual(
    node?.certificates?.map((c) => [c.kind, c.serial]),
    [["agent", leaf.serialNumber]],
  );
});

test("cluster join: a request that is not a CSR, or one for an RSA key, is 400 and makes no node", async (t) => {
  const a = await api(t);
  const { worker } = fixtureTokens();
  const nodes = a.store.state.list("node").length;
  const notCsr = await error(
    a,
    { method: "POST", url: "/v1/cluster/join", body: { token: worker, csr: "hello" } },
    400,
  );
  assert.equal(notCsr.code, "SHOAL_ERR_CSR_INVALID");
  const rsa = await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: worker, csr: RSA_CSR } }, 400);
  assert.equal(rsa.code, "SHOAL_ERR_CSR_INVALID");
  assert.match(rsa.message, /P-256/);
  assert.equal(a.store.state.list("node").length, nodes);
});

test("join tokens: shown only by their route, never cached; a rotation refuses the old token at once", async (t) => {
  const a = await api(t);
  const res = await a.app.inject({ method: "GET", url: "/v1/cluster/join-tokens" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["cache-control"], "no-store");
  const before = JSON.parse(res.body) as { worker: string; manager: string };
  assert.deepEqual(before, fixtureTokens());
  const cluster = await call(a, { method: "GET", url: "/v1/cluster" });
  assert.equal(cluster.status, 200);

  const rotated = await call(a, { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "worker" } });
  assert.equal(rotated.status, 204);
  const after = (await call(a, { method: "GET", url: "/v1/cluster/join-tokens" })).body as typeof before;
  assert.notEqual(after.worker, before.worker);
  assert.equal(after.manager, before.manager);
  await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: before.worker, csr: CSR } }, 401);
  const ok = await call(a, { method: "POST", url: "/v1/cluster/join", body: { token: after.worker, csr: CSR } });
  assert.equal((ok.body as { role: string }).role, "worker");

  // Neither the cluster object nor any event holds a secret, the new one included.
  const secrets = [secretsObject(), a.store.state.secrets()].flatMap((x) =>
    x ? [x.join.worker, x.join.manager, x.routeSecret, x.ca.signer.key] : [],
  );
  assert.equal(secrets.length, 8);
  for (const secret of secrets) assert.ok(!JSON.stringify(cluster.body).includes(secret), "GET /v1/cluster");
});

test("join tokens: only admins see or rotate them; nobody else learns a token from the refusal", async (t) => {
  const a = await api(t);
  const ca = await testCa("c1");
  const readOnly = await ca.user("viewer");
  await addUser(a.store, "viewer", { role: "read-only", serials: [readOnly.serial] });
  const manager = await ca.manager("n1");
  const callers: [string, Caller, number][] = [
    ["anonymous", ANONYMOUS, 401],
    ["a read-only user", certificateCaller(readOnly), 403],
    ["a manager's certificate", certificateCaller(manager), 403],
    ["an agent's certificate", certificateCaller(await ca.agent("n1")), 403],
  ];
  const before = a.store.state.secrets()?.join.worker;
  for (const [who, caller, status] of callers) {
    a.caller = caller;
    for (const r of [
      { method: "GET", url: "/v1/cluster/join-tokens" },
      { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "worker" } },
    ] as const) {
      const res = await call(a, r);
      assert.equal(res.status, status, `${who}: ${r.method} ${r.url}`);
      assert.ok(!JSON.stringify(res.body).includes(fixtureTokens().worker), "no token in the refusal");
    }
  }
  assert.equal(a.store.state.secrets()?.join.worker, before, "no refused rotation was applied");
  a.caller = LOCAL_ADMIN;
  assert.equal((await call(a, { method: "GET", url: "/v1/cluster/join-tokens" })).status, 200);
});

test("events: the cluster's secrets never enter the event stream", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const ac = new AbortController();
  t.after(() => ac.abort());
  const events = client.stream("events", { query: { since: a.store.state.appliedIndex } }, ac.signal);
  await call(a, { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "manager" } });
  await call(a, { method: "POST", url: "/v1/services", body: serviceSpec("after-rotation") });
  const seen: unknown[] = [];
  for (;;) {
    const n = await events.next();
    if (n.done) break;
    seen.push(n.value);
    if (n.value.kind === "service") break;
  }
  const text = JSON.stringify(seen);
  assert.doesNotMatch(text, /"kind":"secret"/);
  const secrets = a.store.state.secrets();
  assert.ok(secrets);
  for (const secret of [secrets.join.worker, secrets.join.manager, secrets.routeSecret, secrets.ca.signer.key])
    assert.ok(!text.includes(secret), "no event holds a secret");
});

test("only the routes that hand a secret out are flagged, and only they are sent with cache-control: no-store", () => {
  const flagged = (Object.keys(ROUTES) as RouteName[]).filter((n) => "returnsSecret" in ROUTES[n]).sort();
  assert.deepEqual(flagged, ["joinTokens"]);
});
