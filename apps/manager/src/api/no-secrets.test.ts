// No answer and no event gives a secret away (docs/design/trust.md §4.6): a scripted session calls every route
// that reads or changes the cluster, while the event stream is followed, and everything that came back is
// searched for the join secrets, the bus's route secret, the CA's key and the users' access tokens and their
// hashes. The route flagged `returnsSecret` (the join tokens) is the only exception, and it is not called.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ROUTES, type RouteName } from "@shoal/api";
import { accessTokenHash, newAccessToken } from "@shoal/trust";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { api, call, type Request } from "../testing/api-harness.js";
import { serviceSpec } from "../testing/fixtures.js";

test("no answer and no event of a scripted session holds a secret", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const ac = new AbortController();
  t.after(() => ac.abort());
  const events = client.stream("events", { query: { since: 0 } }, ac.signal);
  const token = newAccessToken();
  const { csr } = await generateKeyAndCsr();
  const answers: string[] = [];
  const session: Request[] = [
    { method: "GET", url: "/v1/info" },
    { method: "GET", url: "/v1/cluster" },
    { method: "GET", url: "/v1/cluster/status" },
    { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "worker" } },
    {
      method: "POST",
      url: "/v1/users",
      body: { name: "ann", role: "read-only", csr, accessTokenHash: accessTokenHash(token) },
    },
    { method: "GET", url: "/v1/users" },
    { method: "GET", url: "/v1/nodes" },
    { method: "GET", url: "/v1/nodes/n1" },
    { method: "POST", url: "/v1/services", body: serviceSpec("api") },
    { method: "GET", url: "/v1/services" },
    { method: "GET", url: "/v1/services/api" },
    { method: "POST", url: "/v1/services/api/scale", body: { replicas: 2 } },
    { method: "GET", url: "/v1/tasks" },
    { method: "POST", url: "/v1/networks", body: { name: "back" } },
    { method: "GET", url: "/v1/networks" },
    { method: "DELETE", url: "/v1/users/ann" },
    { method: "DELETE", url: "/v1/services/api" },
  ];
  for (const r of session) {
    const res = await a.app.inject({
      method: r.method,
      url: r.url,
      ...(r.body !== undefined ? { payload: r.body as object } : {}),
    });
    assert.ok(res.statusCode < 300, `${r.method} ${r.url}: ${res.statusCode} ${res.body}`);
    answers.push(JSON.stringify(res.headers), res.body);
  }
  // Follow the stream until the last write of the session shows in it.
  const seen: unknown[] = [];
  for (;;) {
    const n = await events.next();
    if (n.done) break;
    seen.push(n.value);
    if (n.value.kind === "service" && n.value.op === "delete") break;
  }
  const kinds = new Set(seen.map((e) => (e as { kind: string }).kind));
  assert.ok(kinds.has("network") && kinds.has("service"), `the stream was followed: ${[...kinds].join(", ")}`);
  const secrets = a.store.state.secrets();
  assert.ok(secrets);
  const hidden = [
    secrets.join.worker,
    secrets.join.manager,
    secrets.routeSecret,
    secrets.ca.signer.key.replace(/-----[A-Z ]+-----|\s/g, "").slice(0, 64),
    token,
    accessTokenHash(token),
  ];
  const text = [...answers, JSON.stringify(seen)].join("\n");
  for (const secret of hidden) assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}...) was given away`);
  assert.doesNotMatch(JSON.stringify(seen), /"kind":"(secret|user)"/, "no internal object in the stream");
  // The routes that hand a secret out are known, and the session above called none of them.
  const flagged = (Object.keys(ROUTES) as RouteName[]).filter((n) => "returnsSecret" in ROUTES[n]);
  for (const n of flagged) {
    const route = ROUTES[n];
    assert.ok(!session.some((r) => r.method === route.method && r.url === route.path), n);
  }
  assert.equal((await call(a, { method: "GET", url: "/v1/cluster/join-tokens" })).status, 200);
});
