// The API server: every route's validation, unknown refs and conflicts (join tokens: join-tokens.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ROUTES, type ErrorBody, type RouteName } from "@shoal/api";
import { testCa } from "@shoal/trust/testing";
import { certificateCaller, nodeObject, serviceSpec } from "../testing/fixtures.js";
import { api, call, error, LOCAL_ADMIN, versionOf, type Request } from "../testing/api-harness.js";

/** A wrong input for every route that takes input, and the field the 400 must name. */
const INVALID: Partial<Record<RouteName, { request: Request; field: string }>> = {
  clusterJoin: { request: { method: "POST", url: "/v1/cluster/join", body: {} }, field: "token" },
  clusterManagerJoin: {
    request: {
      method: "POST",
      url: "/v1/cluster/managers",
      body: { raftAddr: "a:1", apiAddr: "a:2", natsUrl: "nats://a:3" },
    },
    field: "natsRouteAddr",
  },
  clusterInspect: { request: { method: "GET", url: "/v1/cluster?stale=maybe" }, field: "stale" },
  joinTokens: { request: { method: "GET", url: "/v1/cluster/join-tokens?stale=perhaps" }, field: "stale" },
  joinTokensRotate: {
    request: { method: "POST", url: "/v1/cluster/join-tokens/rotate", body: { role: "admin" } },
    field: "role",
  },
  clusterAutolock: {
    request: { method: "POST", url: "/v1/cluster/autolock", body: { enabled: true, unlockKey: "SHLKEY-1-x-y" } },
    field: "unlockKey",
  },
  unlockKeyRotate: {
    request: { method: "POST", url: "/v1/cluster/unlock-key/rotate", body: {} },
    field: "unlockKey",
  },
  unlock: { request: { method: "POST", url: "/v1/unlock", body: { unlockKey: 7 } }, field: "unlockKey" },
  nodeCertificate: {
    request: { method: "POST", url: "/v1/nodes/self/certificate", body: { kind: "user", csr: "x" } },
    field: "kind",
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
  userCreate: {
    request: { method: "POST", url: "/v1/users", body: { name: "ann", role: "owner", csr: "x" } },
    field: "role",
  },
  userList: { request: { method: "GET", url: "/v1/users?stale=often" }, field: "stale" },
  userRemove: { request: { method: "DELETE", url: "/v1/users/" }, field: "ref" },
  // A sign-in comes from the dashboard's page (the injected request's Host is localhost:80).
  sessionCreate: {
    request: { method: "POST", url: "/v1/session", body: {}, headers: { origin: "http://localhost:80" } },
    field: "accessToken",
  },
};
/** Routes whose input cannot be wrong: no path parameters, no body, no query fields. */
const NO_INPUT: RouteName[] = ["info", "clusterStatus", "sessionDelete"];

test("every route that takes input answers a wrong one with 400 naming the field", async (t) => {
  const a = await api(t);
  // The routes of a node's own certificate are called as manager node m1, the others as root on a manager.
  await a.store.write([{ op: "create", kind: "node", object: nodeObject("m1", { role: "manager" }) }]);
  const m1 = certificateCaller(await (await testCa("c1")).manager("m1"));
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const c = INVALID[name];
    if (NO_INPUT.includes(name)) continue;
    assert.ok(c, `route ${name} has a validation case`);
    const access = ROUTES[name].access;
    a.caller = access === "self" || access === "manager" ? m1 : LOCAL_ADMIN;
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
    { method: "DELETE", url: "/v1/users/nope" },
  ];
  for (const r of requests) {
    const e = await error(a, r, 404);
    assert.equal(e.code, "SHOAL_ERR_NOT_FOUND", r.url);
    assert.match(e.message, /^no (node|service|task|network|user) "nope"$/, r.url);
    assert.match(e.hint ?? "", /shoal (node|service|task|network|cluster user) (ls|ps)/, r.url);
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
