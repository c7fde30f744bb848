import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { FastifyInstance } from "fastify";
import { ApiError, ROUTES, ServiceSpecSchema, SHOAL_VERSION, ShoalClient, type ErrorBody, type Info, type LogLine, type RouteName } from "@shoal/api";
import { StoreMachine } from "@shoal/store";
import { ClusterStore, LocalConsensus } from "../store/cluster-store.js";
import { addTasks, seededStore, serviceSpec, T0 } from "../testing/fixtures.js";
import type { LogSource } from "./handlers.js";
import { buildApiServer } from "./server.js";

interface Api {
  app: FastifyInstance;
  store: ClusterStore;
  consensus: LocalConsensus;
  /** Listens on a free loopback port; resolves with a client of it. */
  client: () => Promise<ShoalClient>;
}

const info = (store: ClusterStore): Info => ({
  version: SHOAL_VERSION,
  clusterId: "c1",
  nodeId: "1",
  managerAddr: "127.0.0.1:7070",
  raft: { leader: true, term: 1, commitIndex: store.state.appliedIndex, appliedIndex: store.state.appliedIndex },
  counts: { nodes: store.state.list("node").length, services: store.state.list("service").length, tasks: store.state.list("task").length },
});

const noLogs: LogSource = async function* () {};

/** An API server on a store with a cluster, node n1 (ready) and n2 (down), and service web. */
async function api(t: TestContext, o: { leader?: boolean; leaderApi?: string; logs?: LogSource } = {}): Promise<Api> {
  const machine = new StoreMachine();
  const consensus = new LocalConsensus(machine);
  const store = await seededStore({ store: new ClusterStore(machine, consensus), nodes: ["n1", ["n2", { state: "down" }]], services: [["web", serviceSpec("web")]] });
  consensus.leader = o.leader ?? true;
  const app = await buildApiServer({ store, info: () => info(store), logs: o.logs ?? noLogs, version: SHOAL_VERSION, leaderApi: () => o.leaderApi });
  t.after(() => app.close());
  const client = async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === "object");
    return new ShoalClient({ managers: [`127.0.0.1:${addr.port}`], timeoutMs: 5_000 });
  };
  return { app, store, consensus, client };
}

type Request = { method: "GET" | "POST" | "DELETE"; url: string; body?: unknown };

async function call(a: Api, r: Request): Promise<{ status: number; body: unknown }> {
  const res = await a.app.inject({ method: r.method, url: r.url, ...(r.body !== undefined ? { payload: r.body as object } : {}) });
  return { status: res.statusCode, body: res.body === "" ? undefined : (JSON.parse(res.body) as unknown) };
}

async function error(a: Api, r: Request, status: number): Promise<ErrorBody["error"]> {
  const res = await call(a, r);
  assert.equal(res.status, status, `${r.method} ${r.url}: ${JSON.stringify(res.body)}`);
  return (res.body as ErrorBody).error;
}

const versionOf = (a: Api, kind: "node" | "service", id: string): number => a.store.state.get(kind, id)?.version ?? -1;

/** A wrong input for every route that takes input, and the field the 400 must name. */
const INVALID: Partial<Record<RouteName, { request: Request; field: string }>> = {
  clusterJoin: { request: { method: "POST", url: "/v1/cluster/join", body: {} }, field: "token" },
  clusterManagerJoin: { request: { method: "POST", url: "/v1/cluster/managers", body: { token: "t", raftAddr: "a:1", apiAddr: "a:2", natsUrl: "nats://a:3" } }, field: "natsRouteAddr" },
  clusterInspect: { request: { method: "GET", url: "/v1/cluster?stale=maybe" }, field: "stale" },
  nodeList: { request: { method: "GET", url: "/v1/nodes?role=boss" }, field: "role" },
  nodeInspect: { request: { method: "GET", url: "/v1/nodes/" }, field: "ref" },
  nodeUpdate: { request: { method: "POST", url: "/v1/nodes/n1/update", body: { spec: { role: "worker" } } }, field: "version" },
  nodeRemove: { request: { method: "DELETE", url: "/v1/nodes/n2?force=maybe" }, field: "force" },
  serviceList: { request: { method: "GET", url: "/v1/services?stale=yes" }, field: "stale" },
  serviceCreate: { request: { method: "POST", url: "/v1/services", body: { name: "web", taskTemplate: { container: { image: "" } } } }, field: "taskTemplate.container.image" },
  serviceInspect: { request: { method: "GET", url: "/v1/services/" }, field: "ref" },
  serviceUpdate: { request: { method: "POST", url: "/v1/services/web/update", body: { version: 1, spec: { name: "web" } } }, field: "spec.taskTemplate" },
  serviceScale: { request: { method: "POST", url: "/v1/services/web/scale", body: { replicas: -1 } }, field: "replicas" },
  serviceRollback: { request: { method: "POST", url: "/v1/services//rollback" }, field: "ref" },
  serviceRemove: { request: { method: "DELETE", url: "/v1/services/" }, field: "ref" },
  serviceLogs: { request: { method: "GET", url: "/v1/services/web/logs?tail=-1" }, field: "tail" },
  taskList: { request: { method: "GET", url: "/v1/tasks?desiredState=sleeping" }, field: "desiredState" },
  taskInspect: { request: { method: "GET", url: "/v1/tasks/" }, field: "ref" },
  taskLogs: { request: { method: "GET", url: "/v1/tasks/t1/logs?follow=perhaps" }, field: "follow" },
  networkList: { request: { method: "GET", url: "/v1/networks?stale=no" }, field: "stale" },
  networkCreate: { request: { method: "POST", url: "/v1/networks", body: { name: "net", subnets: [{ subnet: "10.0.0.0" }] } }, field: "subnets.0.subnet" },
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
    assert.ok(e.issues?.some((i) => i.field === c.field && i.message.length > 0), `${name}: ${JSON.stringify(e.issues)} names ${c.field}`);
  }
  // Nothing was written by any of them.
  assert.deepEqual(a.store.state.list("service").map((s) => s.spec.name), ["web"]);
  // A body that is not JSON.
  const res = await a.app.inject({ method: "POST", url: "/v1/services", payload: "{oops", headers: { "content-type": "application/json" } });
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
  assert.equal((await call(a, { method: "POST", url: "/v1/nodes/n1/update", body: { version: stale, spec: { role: "worker", labels: { a: "1" } } } })).status, 200);
  const node = await error(a, { method: "POST", url: "/v1/nodes/n1/update", body: { version: stale, spec: { role: "worker", availability: "drain" } } }, 409);
  assert.equal(node.code, "SHOAL_ERR_VERSION_CONFLICT");
  assert.match(node.hint ?? "", /inspect it again and retry/);
  assert.deepEqual(a.store.state.get("node", "n1")?.spec, { labels: { a: "1" }, role: "worker", availability: "active" });

  const web = versionOf(a, "service", "web");
  assert.equal((await call(a, { method: "POST", url: "/v1/services/web/scale", body: { replicas: 3 } })).status, 200);
  const svc = await error(a, { method: "POST", url: "/v1/services/web/update", body: { version: web, spec: serviceSpec("web") } }, 409);
  assert.equal(svc.code, "SHOAL_ERR_VERSION_CONFLICT");
  assert.equal((await error(a, { method: "POST", url: "/v1/services/web/scale", body: { replicas: 1, version: web } }, 409)).code, "SHOAL_ERR_VERSION_CONFLICT");

  const created = await call(a, { method: "POST", url: "/v1/services", body: serviceSpec("api", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }) });
  assert.equal(created.status, 201);
  const twice = await error(a, { method: "POST", url: "/v1/services", body: serviceSpec("api") }, 409);
  assert.deepEqual([twice.code, twice.message], ["SHOAL_ERR_ALREADY_EXISTS", 'a service named "api" already exists; pick another name or update that one']);
  const port = await error(a, { method: "POST", url: "/v1/services", body: serviceSpec("other", { endpoint: { ports: [{ targetPort: 81, publishedPort: 8080 }] } }) }, 409);
  assert.deepEqual([port.code, port.message], ["SHOAL_ERR_PORT_IN_USE", "endpoint.ports.0: port 8080/tcp is already published by service api"]);
  // An update may keep its own port, not take another service's.
  const apiVersion = versionOf(a, "service", (a.store.state.byName("service", "api")?.id ?? ""));
  assert.equal((await call(a, { method: "POST", url: "/v1/services/api/update", body: { version: apiVersion, spec: serviceSpec("api", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }) } })).status, 200);
  assert.equal((await error(a, { method: "POST", url: "/v1/services/web/update", body: { version: versionOf(a, "service", "web"), spec: serviceSpec("web", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }) } }, 409)).code, "SHOAL_ERR_PORT_IN_USE");

  assert.equal((await error(a, { method: "DELETE", url: "/v1/nodes/n1" }, 409)).code, "SHOAL_ERR_NODE_READY");
  assert.equal((await call(a, { method: "DELETE", url: "/v1/nodes/n1?force=true" })).status, 204);
  assert.equal((await call(a, { method: "DELETE", url: "/v1/nodes/n2" })).status, 204);

  assert.equal((await call(a, { method: "POST", url: "/v1/networks", body: { name: "backend" } })).status, 201);
  assert.equal((await error(a, { method: "POST", url: "/v1/networks", body: { name: "backend" } }, 409)).code, "SHOAL_ERR_ALREADY_EXISTS");
  assert.equal((await call(a, { method: "POST", url: "/v1/services", body: serviceSpec("db", { taskTemplate: { container: { image: "b" }, networks: [{ target: "backend" }] } }) })).status, 201);
  const inUse = await error(a, { method: "DELETE", url: "/v1/networks/backend" }, 409);
  assert.deepEqual([inUse.code, inUse.message], ["SHOAL_ERR_IN_USE", "network backend is used by service db"]);
  const noNet = await error(a, { method: "POST", url: "/v1/services", body: serviceSpec("x", { taskTemplate: { container: { image: "b" }, networks: [{ target: "front" }] } }) }, 400);
  assert.match(noNet.message, /^taskTemplate\.networks\.0\.target: no network "front"$/);

  // One routing mesh per cluster; the default network serves every service that names none.
  assert.equal((await call(a, { method: "POST", url: "/v1/networks", body: { name: "ingress", ingress: true } })).status, 201);
  const second = await error(a, { method: "POST", url: "/v1/networks", body: { name: "mesh2", ingress: true } }, 409);
  assert.match(second.message, /already has an ingress network \(ingress\)/);
  assert.equal((await call(a, { method: "POST", url: "/v1/networks", body: { name: "default" } })).status, 201);
  const implicit = await error(a, { method: "DELETE", url: "/v1/networks/default" }, 409);
  assert.match(implicit.message, /^network default is used by services /);
});

test("cluster join: a bad token is 401; a good one tells where the bus is", async (t) => {
  const a = await api(t);
  const e = await error(a, { method: "POST", url: "/v1/cluster/join", body: { token: "SHLTKN-1-c1-wwrong" } }, 401);
  assert.equal(e.code, "SHOAL_ERR_INVALID_TOKEN");
  assert.match(e.hint ?? "", /shoal cluster init/);
  const cluster = a.store.state.list("cluster")[0];
  const ok = await call(a, { method: "POST", url: "/v1/cluster/join", body: { token: cluster?.joinTokens.manager } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { clusterId: "c1", role: "manager", natsUrls: ["nats://127.0.0.1:7072"], natsToken: "bus-token", managers: ["127.0.0.1:7070"], joinToken: cluster?.joinTokens.manager });
});

test("a manager that is not the leader and knows no leader answers writes with 503 and a hint; reads still work", async (t) => {
  const a = await api(t, { leader: false });
  for (const r of [
    { method: "POST", url: "/v1/services", body: serviceSpec("api") },
    { method: "POST", url: "/v1/services/web/scale", body: { replicas: 2 } },
    { method: "DELETE", url: "/v1/services/web" },
  ] as Request[]) {
    const e = await error(a, r, 503);
    assert.equal(e.code, "SHOAL_ERR_NO_LEADER");
    assert.match(e.hint ?? "", /retry/);
  }
  assert.equal((await call(a, { method: "GET", url: "/v1/services/web" })).status, 200);
});

test("a follower forwards writes to the leader's API", async (t) => {
  const leader = await api(t);
  const leaderClient = await leader.client();
  const follower = await api(t, { leader: false, leaderApi: leaderClient.manager.replace(/^http:\/\//, "") });
  const res = await call(follower, { method: "POST", url: "/v1/services", body: serviceSpec("api") });
  assert.equal(res.status, 201);
  assert.ok(leader.store.state.byName("service", "api"));
  assert.equal(follower.store.state.byName("service", "api"), undefined);
  // Errors come back as the leader gave them.
  assert.equal((await error(follower, { method: "POST", url: "/v1/services", body: serviceSpec("api") }, 409)).code, "SHOAL_ERR_ALREADY_EXISTS");
  // Writes without a body too.
  assert.equal((await call(follower, { method: "DELETE", url: "/v1/services/api" })).status, 204);
  assert.equal(leader.store.state.byName("service", "api"), undefined);
});

test("an update of the template starts a rolling update; a rollback returns to the previous spec, or says there is none", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const none = await client.call("serviceRollback", { params: { ref: "web" } }).catch((e: unknown) => e);
  assert.ok(none instanceof ApiError && none.status === 400 && none.code === "SHOAL_ERR_NO_PREVIOUS_SPEC", String(none));
  const before = await client.call("serviceInspect", { params: { ref: "web" } });
  // A new label only: no task changes, no rolling update.
  const labelled = await client.call("serviceUpdate", { params: { ref: "web" }, body: { version: before.version, spec: { ...before.spec, labels: { tier: "front" } } } });
  assert.equal(labelled.updateStatus, undefined);
  const image = { ...labelled.spec, taskTemplate: { ...labelled.spec.taskTemplate, container: { ...labelled.spec.taskTemplate.container, image: "busybox:2" } } };
  const updated = await client.call("serviceUpdate", { params: { ref: "web" }, body: { version: labelled.version, spec: image } });
  assert.equal(updated.updateStatus?.state, "updating");
  const back = await client.call("serviceRollback", { params: { ref: "web" } });
  assert.equal(back.spec.taskTemplate.container.image, before.spec.taskTemplate.container.image);
  assert.equal(back.previousSpec?.taskTemplate.container.image, "busybox:2");
  assert.deepEqual([back.updateStatus?.state, back.updateStatus?.message], ["rollback_started", "rollback requested"]);
});

test("the typed client: create, inspect with counts, scale, list, remove", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const created = await client.call("serviceCreate", { body: serviceSpec("api", { mode: { mode: "replicated", replicas: 2 }, endpoint: { ports: [{ targetPort: 80 }] } }) });
  assert.deepEqual(created.endpoint.ports.map((p) => p.publishedPort), [30000]);
  const scaled = await client.call("serviceScale", { params: { ref: "api" }, body: { replicas: 4 } });
  assert.deepEqual(scaled.spec.mode, { mode: "replicated", replicas: 4 });
  const inspected = await client.call("serviceInspect", { params: { ref: created.id.slice(0, 12) } });
  assert.deepEqual(inspected.serviceStatus, { runningTasks: 0, desiredTasks: 4, completedTasks: 0 });
  assert.deepEqual((await client.call("serviceList")).map((s) => s.spec.name).sort(), ["api", "web"]);
  assert.deepEqual((await client.call("nodeList", { query: { role: "worker" } })).map((n) => n.id), ["n1", "n2"]);
  assert.equal((await client.call("info")).version, SHOAL_VERSION);
  await client.call("serviceRemove", { params: { ref: "api" } });
  await assert.rejects(client.call("serviceInspect", { params: { ref: "api" } }), (e: unknown) => e instanceof ApiError && e.status === 404);
});

test("events: the stream delivers a service's creation, from `since` and live", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const ac = new AbortController();
  t.after(() => ac.abort());
  const events = client.stream("events", { query: { since: a.store.state.appliedIndex, kind: "service" } }, ac.signal);
  // Created while the request may still be on its way: `since` covers it either way.
  await a.store.write([{ op: "create", kind: "service", object: { id: "s1", spec: ServiceSpecSchema.parse(serviceSpec("first")), endpoint: { ports: [], virtualIps: [] } } }]);
  const first = await events.next();
  assert.deepEqual(first.done ? undefined : [first.value.op, first.value.kind, first.value.id], ["create", "service", "s1"]);
  // Now surely subscribed: a change made through the API arrives live; task events are filtered out.
  await addTasks(a.store, "web", [{ slot: 1 }]);
  const created = await client.call("serviceCreate", { body: serviceSpec("second") });
  const second = await events.next();
  assert.deepEqual(second.done ? undefined : [second.value.op, second.value.id], ["create", created.id]);
  ac.abort();
  assert.equal((await events.next()).done, true);
});

test("logs: a service's placed tasks and one task, as newline-delimited JSON; a failing source becomes an error line", async (t) => {
  const source: LogSource = async function* (task, q) {
    await Promise.resolve(); // the node's answer
    if (task.slot === 3) throw new Error("node n1 did not answer");
    for (let i = 0; i < (q.tail ?? 2); i++) yield { taskId: task.id, serviceId: task.serviceId, nodeId: task.nodeId ?? "", stream: "stdout", time: new Date(T0).toISOString(), line: `slot ${task.slot} line ${i}`, ...(task.slot !== undefined ? { slot: task.slot } : {}) };
  };
  const a = await api(t, { logs: source });
  const iso = new Date(T0).toISOString();
  const [one = "", , , unplaced = ""] = await addTasks(a.store, "web", [
    { slot: 1, nodeId: "n1", status: { state: "running", timestamp: iso, message: "" } },
    { slot: 2, nodeId: "n1", status: { state: "failed", timestamp: iso, message: "" } },
    { slot: 3, nodeId: "n1", status: { state: "running", timestamp: iso, message: "" } },
    { slot: 4 },
  ]);
  const lines = (body: string) => body.trim().split("\n").map((l) => JSON.parse(l) as LogLine);
  const svc = await a.app.inject({ method: "GET", url: "/v1/services/web/logs?tail=1" });
  assert.equal(svc.statusCode, 200);
  assert.equal(svc.headers["content-type"], "application/x-ndjson");
  const got = lines(svc.body);
  assert.deepEqual(got.filter((l) => l.stream === "stdout").map((l) => l.line).sort(), ["slot 1 line 0", "slot 2 line 0"]);
  assert.deepEqual(got.filter((l) => l.stream === "stderr").map((l) => [l.slot, l.line]), [[3, `[shoal] cannot read logs of task ${got.find((l) => l.slot === 3)?.taskId}: node n1 did not answer`]]);
  const task = await a.app.inject({ method: "GET", url: `/v1/tasks/${one}/logs` });
  assert.deepEqual(lines(task.body).map((l) => l.line), ["slot 1 line 0", "slot 1 line 1"]);
  const e = await error(a, { method: "GET", url: `/v1/tasks/${unplaced}/logs` }, 409);
  assert.equal(e.code, "SHOAL_ERR_NO_LOGS");
});
