// The API server: every route's validation, unknown refs, conflicts, and join tokens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ROUTES, type ErrorBody, type RouteName } from "@shoal/api";
import { updateOf } from "@shoal/store";
import { fixtureTokens, secretsObject, serviceSpec } from "../testing/fixtures.js";
import { api, call, error, versionOf, type Request } from "../testing/api-harness.js";

/** A wrong input for every route that takes input, and the field the 400 must name. */
const INVALID: Partial<Record<RouteName, { request: Request; field: string }>> = {
  clusterJoin: { request: { method: "POST", url: "/v1/cluster/join", body: {} }, field: "token" },
  clusterManagerJoin: {
    request: {
      method: "POST",
      url: "/v1/cluster/managers",
      body: { token: "t", raftAddr: "a:1", apiAddr: "a:2", natsUrl: "nats://a:3" },
    },
    field: "natsRouteAddr",
  },
  clusterInspect: { request: { method: "GET", url: "/v1/cluster?stale=maybe" }, field: "stale" },
  joinTokens: { request: { method: "GET", url: "/v1/cluster/join-tokens?stale=perhaps" }, field: "stale" },
  joinTokensRotate: {
    request: { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "admin" } },
    field: "role",
  },
  nodeList: { request: { method: "GET", url: "/v1/nodes?role=boss" }, field: "role" },
  nodeInspect: { request: { method: "GET", url: "/v1/nodes/" }, field: "ref" },
  nodeUpdate: {
    request: { method: "POST", url: "/v1/nodes/n1/update", body: { spec: { role: "worker" } } },
    field: "version",
  },
  nodeRemove: { request: { method: "DELETE", url: "/v1/nodes/n2?force=maybe" }, field: "force" },
  serviceList: { request: { method: "GET", url: "/v1/services?stale=yes" }, field: "stale" },
  serviceCreate: {
    request: { method: "POST", url: "/v1/services", body: { name: "web", taskTemplate: { container: { image: "" } } } },
    field: "taskTemplate.container.image",
  },
  serviceInspect: { request: { method: "GET", url: "/v1/services/" }, field: "ref" },
  serviceUpdate: {
    request: { method: "POST", url: "/v1/services/web/update", body: { version: 1, spec: { name: "web" } } },
    field: "spec.taskTemplate",
  },
  serviceScale: {
    request: { method: "POST", url: "/v1/services/web/scale", body: { replicas: -1 } },
    field: "replicas",
  },
  serviceRollback: { request: { method: "POST", url: "/v1/services//rollback" }, field: "ref" },
  serviceRemove: { request: { method: "DELETE", url: "/v1/services/" }, field: "ref" },
  serviceLogs: { request: { method: "GET", url: "/v1/services/web/logs?tail=-1" }, field: "tail" },
  taskList: { request: { method: "GET", url: "/v1/tasks?desiredState=sleeping" }, field: "desiredState" },
  taskInspect: { request: { method: "GET", url: "/v1/tasks/" }, field: "ref" },
  taskLogs: { request: { method: "GET", url: "/v1/tasks/t1/logs?follow=perhaps" }, field: "follow" },
  networkList: { request: { method: "GET", url: "/v1/networks?stale=no" }, field: "stale" },
  networkCreate: {
    request: { method: "POST", url: "/v1/networks", body: { name: "net", subnets: [{ subnet: "10.0.0.0" }] } },
    field: "subnets.0.subnet",
  },
  networkInspect: { request: { method: "GET", url: "/v1/networks/" }, field: "ref" },
  networkRemove: { request: { method: "DELETE", url: "/v1/networks/" }, field: "ref" },
  events: { request: { method: "GET", url: "/v1/events?kind=cat" }, field: "kind" },
};
/** Routes whose input cannot be wrong: no path parameters, no body, no query fields. */
const NO_INPUT: RouteName[] = ["info", "clusterStatus"];

test("every route that takes input answers a wrong one with 400 naming the field", async (t) => {
  const a = await api(t);
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const c = INVALID[name];
    if (NO_INPUT.includes(name)) continue;
    assert.ok(c, `route ${name} has a validation case`);
    const e = await error(a, c.request, 400);
    assert.equal(e.code, "SHOAL_ERR_INVALID_ARGUMENT", name);
    assert.match(e.message, /^invalid (request body|query|path parameters): \d+ fields? (is|are) wrong$/, name);
    assert.ok(
      e.issues?.some((i) => i.field === c.field && i.message.length > 0),
      `${name}: ${JSON.stringify(e.issues)} names ${c.field}`,
    );
  }
  // Nothing was written by any of them.
  assert.deepEqual(
    a.store.state.list("service").map((s) => s.spec.name),
    ["web"],
  );
  // A body that is not JSON.
  const res = await a.app.inject({
    method: "POST",
    url: "/v1/services",
    payload: "{oops",
    headers: { "content-type": "application/json" },
  });
  assert.equal(res.statusCode, 400);
  assert.equal((JSON.parse(res.body) as ErrorBody).error.code, "SHOAL_ERR_BAD_REQUEST");
});

test("unknown refs are 404 with a hint, on every route that takes one; unknown paths too", async (t) => {
  const a = await api(t);
  const spec = serviceSpec("web");
  const requests: Request[] = [
    { method: "GET", url: "/v1/nodes/nope" },
    { method: "POST", url: "/v1/nodes/nope/update", body: { version: 1, spec: { role: "worker" } } },
    { method: "DELETE", url: "/v1/nodes/nope" },
    { method: "GET", url: "/v1/services/nope" },
    { method: "POST", url: "/v1/services/nope/update", body: { version: 1, spec } },
    { method: "POST", url: "/v1/services/nope/scale", body: { replicas: 2 } },
    { method: "POST", url: "/v1/services/nope/rollback" },
    { method: "DELETE", url: "/v1/services/nope" },
    { method: "GET", url: "/v1/services/nope/logs" },
    { method: "GET", url: "/v1/tasks?service=nope" },
    { method: "GET", url: "/v1/tasks?node=nope" },
    { method: "GET", url: "/v1/tasks/nope" },
    { method: "GET", url: "/v1/tasks/nope/logs" },
    { method: "GET", url: "/v1/networks/nope" },
    { method: "DELETE", url: "/v1/networks/nope" },
  ];
  for (const r of requests) {
    const e = await error(a, r, 404);
    assert.equal(e.code, "SHOAL_ERR_NOT_FOUND", r.url);
    assert.match(e.message, /^no (node|service|task|network) "nope"$/, r.url);
    assert.match(e.hint ?? "", /shoal (node|service|task|network) (ls|ps)/, r.url);
  }
  const e = await error(a, { method: "GET", url: "/v1/nothing" }, 404);
  assert.equal(e.code, "SHOAL_ERR_NO_ROUTE");
});

test("conflicts are 409: stale versions, taken names, published ports in use, nodes still ready, networks in use", async (t) => {
  const a = await api(t);
  const stale = versionOf(a, "node", "n1");
  assert.equal(
    (
      await call(a, {
        method: "POST",
        url: "/v1/nodes/n1/update",
        body: { version: stale, spec: { role: "worker", labels: { a: "1" } } },
      })
    ).status,
    200,
  );
  const node = await error(
    a,
    {
      method: "POST",
      url: "/v1/nodes/n1/update",
      body: { version: stale, spec: { role: "worker", availability: "drain" } },
    },
    409,
  );
  assert.equal(node.code, "SHOAL_ERR_VERSION_CONFLICT");
  assert.match(node.hint ?? "", /inspect it again and retry/);
  assert.deepEqual(a.store.state.get("node", "n1")?.spec, {
    labels: { a: "1" },
    role: "worker",
    availability: "active",
  });

  const web = versionOf(a, "service", "web");
  assert.equal((await call(a, { method: "POST", url: "/v1/services/web/scale", body: { replicas: 3 } })).status, 200);
  const svc = await error(
    a,
    { method: "POST", url: "/v1/services/web/update", body: { version: web, spec: serviceSpec("web") } },
    409,
  );
  assert.equal(svc.code, "SHOAL_ERR_VERSION_CONFLICT");
  assert.equal(
    (await error(a, { method: "POST", url: "/v1/services/web/scale", body: { replicas: 1, version: web } }, 409)).code,
    "SHOAL_ERR_VERSION_CONFLICT",
  );

  const created = await call(a, {
    method: "POST",
    url: "/v1/services",
    body: serviceSpec("api", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }),
  });
  assert.equal(created.status, 201);
  const twice = await error(a, { method: "POST", url: "/v1/services", body: serviceSpec("api") }, 409);
  assert.deepEqual(
    [twice.code, twice.message],
    ["SHOAL_ERR_ALREADY_EXISTS", 'a service named "api" already exists; pick another name or update that one'],
  );
  const port = await error(
    a,
    {
      method: "POST",
      url: "/v1/services",
      body: serviceSpec("other", { endpoint: { ports: [{ targetPort: 81, publishedPort: 8080 }] } }),
    },
    409,
  );
  assert.deepEqual(
    [port.code, port.message],
    ["SHOAL_ERR_PORT_IN_USE", "endpoint.ports.0: port 8080/tcp is already published by service api"],
  );
  // An update may keep its own port, not take another service's.
  const apiVersion = versionOf(a, "service", a.store.state.byName("service", "api")?.id ?? "");
  assert.equal(
    (
      await call(a, {
        method: "POST",
        url: "/v1/services/api/update",
        body: {
          version: apiVersion,
          spec: serviceSpec("api", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }),
        },
      })
    ).status,
    200,
  );
  assert.equal(
    (
      await error(
        a,
        {
          method: "POST",
          url: "/v1/services/web/update",
          body: {
            version: versionOf(a, "service", "web"),
            spec: serviceSpec("web", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }),
          },
        },
        409,
      )
    ).code,
    "SHOAL_ERR_PORT_IN_USE",
  );

  assert.equal((await error(a, { method: "DELETE", url: "/v1/nodes/n1" }, 409)).code, "SHOAL_ERR_NODE_READY");
  assert.equal((await call(a, { method: "DELETE", url: "/v1/nodes/n1?force=true" })).status, 204);
  assert.equal((await call(a, { method: "DELETE", url: "/v1/nodes/n2" })).status, 204);

  assert.equal((await call(a, { method: "POST", url: "/v1/networks", body: { name: "backend" } })).status, 201);
  assert.equal(
    (await error(a, { method: "POST", url: "/v1/networks", body: { name: "backend" } }, 409)).code,
    "SHOAL_ERR_ALREADY_EXISTS",
  );
  assert.equal(
    (
      await call(a, {
        method: "POST",
        url: "/v1/services",
        body: serviceSpec("db", { taskTemplate: { container: { image: "b" }, networks: [{ target: "backend" }] } }),
      })
    ).status,
    201,
  );
  const inUse = await error(a, { method: "DELETE", url: "/v1/networks/backend" }, 409);
  assert.deepEqual([inUse.code, inUse.message], ["SHOAL_ERR_IN_USE", "network backend is used by service db"]);
  const noNet = await error(
    a,
    {
      method: "POST",
      url: "/v1/services",
      body: serviceSpec("x", { taskTemplate: { container: { image: "b" }, networks: [{ target: "front" }] } }),
    },
    400,
  );
  assert.match(noNet.message, /^taskTemplate\.networks\.0\.target: no network "front"$/);

  // One routing mesh per cluster; the default network serves every service that names none.
  assert.equal(
    (await call(a, { method: "POST", url: "/v1/networks", body: { name: "ingress", ingress: true } })).status,
    201,
  );
  const second = await error(a, { method: "POST", url: "/v1/networks", body: { name: "mesh2", ingress: true } }, 409);
  assert.match(second.message, /already has an ingress network \(ingress\)/);
  assert.equal((await call(a, { method: "POST", url: "/v1/networks", body: { name: "default" } })).status, 201);
  const implicit = await error(a, { method: "DELETE", url: "/v1/networks/default" }, 409);
  assert.match(implicit.message, /^network default is used by services /);
});

test("manager join: a worker token and a wrong one get the same 401, which does not say which it was", async (t) => {
  const a = await api(t);
  const join = (token: string): Request => ({
    method: "POST",
    url: "/v1/cluster/managers",
    body: { token, raftAddr: "a:1", apiAddr: "a:2", natsUrl: "nats://a:3", natsRouteAddr: "a:4" },
  });
  const { manager, worker } = fixtureTokens();
  const lastCharChanged = manager.slice(0, -1) + (manager.endsWith("a") ? "b" : "a");
  const byWorker = await error(a, join(worker), 401);
  const byWrong = await error(a, join(lastCharChanged), 401);
  assert.equal(byWorker.code, "SHOAL_ERR_INVALID_TOKEN");
  assert.deepEqual(byWorker, byWrong);
  assert.match(byWorker.hint ?? "", /manager join token/);
  assert.doesNotMatch(`${byWorker.message} ${byWorker.hint ?? ""}`, /this is the worker token/);
});

test("cluster join: a bad token is 401 saying what is wrong; a good one tells where the bus is", async (t) => {
  const a = await api(t);
  const old = await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: "SHLTKN-1-c1-wwrong" } }, 401);
  assert.equal(old.code, "SHOAL_ERR_INVALID_TOKEN");
  assert.match(old.message, /malformed: it has 4 parts|malformed: .*digest/);
  assert.match(old.hint ?? "", /shoal cluster join-token/);
  const { manager } = fixtureTokens();
  const wrong = manager.slice(0, -1) + (manager.endsWith("a") ? "b" : "a");
  const e = await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: wrong } }, 401);
  assert.equal(e.message, "the join token is not valid for this cluster");
  const ok = await call(a, { method: "POST", url: "/v1/cluster/join", body: { token: manager } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, {
    clusterId: "c1",
    role: "manager",
    natsUrls: ["nats://127.0.0.1:7072"],
    natsToken: "bus-token",
    managers: ["127.0.0.1:7070"],
    joinToken: manager,
  });
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
  await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: before.worker } }, 401);
  const ok = await call(a, { method: "POST", url: "/v1/cluster/join", body: { token: after.worker } });
  assert.equal((ok.body as { role: string }).role, "worker");

  // Neither the cluster object nor any event holds a secret, the new one included.
  const secrets = [secretsObject(), a.store.state.secrets()].flatMap((x) =>
    x ? [x.join.worker, x.join.manager, x.busToken, x.ca.signer.key] : [],
  );
  assert.equal(secrets.length, 8);
  for (const secret of secrets) assert.ok(!JSON.stringify(cluster.body).includes(secret), "GET /v1/cluster");
});

test("join tokens answer only callers on the manager's machine, and followers forwarding for one", async (t) => {
  const a = await api(t);
  const from = async (remoteAddress: string, method: "GET" | "POST", forwarded = false) => {
    const res = await a.app.inject({
      method,
      url: method === "GET" ? "/v1/cluster/join-tokens" : "/v1/cluster/join-tokens/rotate",
      remoteAddress,
      ...(method === "POST" ? { payload: { role: "worker" } } : {}),
      ...(forwarded ? { headers: { "x-shoal-forwarded": "1" } } : {}),
    });
    return { status: res.statusCode, body: res.body };
  };
  const before = a.store.state.secrets()?.join.worker;
  for (const [addr, forwarded] of [
    ["10.0.0.9", false],
    ["10.0.0.9", true],
    ["192.168.1.20", false],
  ] as const) {
    for (const method of ["GET", "POST"] as const) {
      const r = await from(addr, method, forwarded);
      assert.equal(r.status, 403, `${method} from ${addr}${forwarded ? " (says it forwards)" : ""}`);
      const e = (JSON.parse(r.body) as ErrorBody).error;
      assert.equal(e.code, "SHOAL_ERR_LOCAL_ONLY");
      assert.match(e.hint ?? "", /on a manager node/);
      assert.ok(!r.body.includes(fixtureTokens().worker), "no token in the refusal");
    }
  }
  assert.equal(a.store.state.secrets()?.join.worker, before, "no refused rotation was applied");
  // A manager at 10.0.0.9 forwarding for its own local caller is let through.
  const cluster = a.store.state.cluster();
  assert.ok(cluster);
  await a.store.write([
    updateOf("cluster", cluster, {
      managers: [
        ...cluster.managers,
        { raftId: 2, apiAddr: "10.0.0.9:7070", natsUrl: "nats://10.0.0.9:7072", raftAddr: "10.0.0.9:7071" },
      ],
    }),
  ]);
  assert.equal((await from("10.0.0.9", "GET", true)).status, 200);
  assert.equal((await from("10.0.0.9", "GET", false)).status, 403, "not without saying it forwards");
  assert.equal((await from("::ffff:127.0.0.1", "GET")).status, 200);
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
  for (const secret of [secrets.join.worker, secrets.join.manager, secrets.busToken, secrets.ca.signer.key])
    assert.ok(!text.includes(secret), "no event holds a secret");
});

test("only the routes that hand a secret out are flagged, and only they are sent with cache-control: no-store", () => {
  const flagged = (Object.keys(ROUTES) as RouteName[]).filter((n) => "returnsSecret" in ROUTES[n]).sort();
  assert.deepEqual(flagged, ["clusterJoin", "clusterManagerJoin", "joinTokens"]);
});
