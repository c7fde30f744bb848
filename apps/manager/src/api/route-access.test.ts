// Who may call each route (docs/design/trust.md §4.6): every route of the route table against every kind of
// caller, over real TLS with client certificates of the cluster's CA. A route without a row here fails the test,
// so a new route cannot be added without deciding who may call it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ROUTES, type RouteAccess, type RouteDef, type RouteName } from "@shoal/api";
import { newTestCa, type TestCa, type TestCredentials } from "@shoal/trust/testing";
import { api } from "../testing/api-harness.js";
import { nodeObject, userObject } from "../testing/fixtures.js";
import { TEST_CA } from "../testing/test-ca.js";
import { apiTlsOf, CLUSTER, DAY, HOUR, listen, tlsFetch } from "../testing/tls-api.js";

/** Who may call each route: the table this test holds the route table to. */
const EXPECTED: Record<RouteName, RouteAccess> = {
  info: "read",
  clusterInspect: "read",
  clusterStatus: "read",
  joinTokens: "admin",
  joinTokensRotate: "admin",
  clusterAutolock: "admin",
  unlockKeyRotate: "admin",
  unlock: "admin",
  userCreate: "admin",
  userList: "admin",
  userRemove: "admin",
  sessionCreate: "public",
  sessionDelete: "read",
  clusterJoin: "public",
  clusterManagerJoin: "manager",
  nodeList: "read",
  nodeInspect: "read",
  nodeCertificate: "self",
  nodeUpdate: "admin",
  nodeRemove: "admin",
  serviceList: "read",
  serviceCreate: "admin",
  serviceInspect: "read",
  serviceUpdate: "admin",
  serviceScale: "admin",
  serviceRollback: "admin",
  serviceRemove: "admin",
  serviceLogs: "read",
  taskList: "read",
  taskInspect: "read",
  taskLogs: "read",
  networkList: "read",
  networkInspect: "read",
  networkCreate: "admin",
  networkRemove: "admin",
  events: "read",
};

type Outcome = "allowed" | 401 | 403;

/** A kind of caller, and what it gets for each access. */
interface Row {
  readonly who: string;
  readonly creds: TestCredentials | undefined;
  readonly outcome: Record<RouteAccess, Outcome>;
}

const all = (o: Outcome): Record<RouteAccess, Outcome> => ({ public: o, read: o, admin: o, self: o, manager: o });
const ok = "allowed" as const;

const ca: TestCa = await newTestCa(CLUSTER, { cert: TEST_CA.cert, key: TEST_CA.key, chain: [] });

/** The API with users and nodes of every kind, and the callers of the table. */
async function setup(t: Parameters<typeof api>[0]) {
  const a = await api(t, { tls: apiTlsOf(await ca.manager("m0", ["127.0.0.1"])) });
  const admin = await ca.user("admin");
  const viewer = await ca.user("viewer");
  const replaced = await ca.user("replaced");
  await a.store.write([
    { op: "create", kind: "node", object: nodeObject("m1", { role: "manager" }) },
    { op: "create", kind: "user", object: userObject("admin", { serials: [admin.serial] }) },
    { op: "create", kind: "user", object: userObject("viewer", { role: "read-only", serials: [viewer.serial] }) },
    // A user whose bundle was replaced: the store lists another certificate.
    { op: "create", kind: "user", object: userObject("replaced", { serials: ["0A0B"] }) },
  ]);
  const rows: Row[] = [
    { who: "anonymous", creds: undefined, outcome: { ...all(401), public: ok } },
    { who: "an admin user", creds: admin, outcome: { public: ok, read: ok, admin: ok, self: 403, manager: 403 } },
    { who: "a read-only user", creds: viewer, outcome: { public: ok, read: ok, admin: 403, self: 403, manager: 403 } },
    { who: "a removed user", creds: await ca.user("gone"), outcome: { ...all(401), public: ok } },
    { who: "a user's replaced certificate", creds: replaced, outcome: { ...all(401), public: ok } },
    {
      who: "a worker's agent certificate",
      creds: await ca.agent("n1"),
      outcome: { public: ok, read: 403, admin: 403, self: ok, manager: 403 },
    },
    {
      who: "a manager node's agent certificate",
      creds: await ca.agent("m1"),
      outcome: { public: ok, read: 403, admin: 403, self: ok, manager: 403 },
    },
    {
      who: "a manager node's manager certificate",
      creds: await ca.manager("m1"),
      outcome: { public: ok, read: ok, admin: 403, self: ok, manager: ok },
    },
    {
      who: "the manager certificate of a node demoted since",
      creds: await ca.manager("n1"),
      outcome: { public: ok, read: 403, admin: 403, self: ok, manager: 403 },
    },
    { who: "a removed node's certificate", creds: await ca.agent("gone"), outcome: { ...all(401), public: ok } },
    {
      who: "an expired certificate",
      creds: await ca.user("admin", { now: new Date(Date.now() - 2 * DAY), validityMs: HOUR }),
      outcome: all(401),
    },
    { who: "a certificate of another CA", creds: await (await newTestCa(CLUSTER)).user("admin"), outcome: all(401) },
  ];
  return { a, rows, address: await listen(a.app) };
}

/**
 * A request to `route` that is refused by its handler if the caller gets that far (unknown ref, empty body),
 * sent from the dashboard's own page (its Origin) as a browser would.
 */
function requestOf(route: RouteDef, address: string): { path: string; init: RequestInit } {
  const path = route.path.replace(/:([A-Za-z]+)/g, "nope");
  const origin = { origin: `https://${address}` };
  if (route.method === "GET" || route.method === "DELETE")
    return { path, init: { method: route.method, headers: origin } };
  return {
    path,
    init: { method: route.method, headers: { ...origin, "content-type": "application/json" }, body: "{}" },
  };
}

test("every route has a row saying who may call it, and the route table agrees", () => {
  assert.deepEqual(Object.keys(EXPECTED).sort(), Object.keys(ROUTES).sort());
  for (const [name, route] of Object.entries(ROUTES) as [RouteName, RouteDef][])
    assert.equal(route.access, EXPECTED[name], `${name}'s access`);
});

test("every route answers each kind of caller as its access says: 401 without a credential the store knows, 403 for a role that may not call it", async (t) => {
  const { a, rows, address } = await setup(t);
  const before = JSON.stringify(a.store.state.snapshot().objects);
  for (const row of rows) {
    const f = tlsFetch(t, { trust: ca.trust, ...(row.creds ? { creds: row.creds } : {}) });
    for (const [name, route] of Object.entries(ROUTES) as [RouteName, RouteDef][]) {
      const { path, init } = requestOf(route, address);
      const ac = new AbortController();
      const res = await f(`https://${address}${path}`, { ...init, signal: ac.signal });
      // Streams of an allowed caller stay open: their status is all this needs.
      const body = route.stream && res.ok ? "" : await res.text();
      ac.abort();
      const expected = row.outcome[route.access];
      const where = `${row.who} on ${name} (${route.method} ${route.path}): ${res.status} ${body}`;
      if (expected === "allowed") assert.ok(res.status !== 401 && res.status !== 403, where);
      else {
        assert.equal(res.status, expected, where);
        const code = expected === 401 ? "SHOAL_ERR_UNAUTHENTICATED" : "SHOAL_ERR_FORBIDDEN";
        assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, code, where);
      }
    }
  }
  assert.equal(JSON.stringify(a.store.state.snapshot().objects), before, "no request changed the store");
});
