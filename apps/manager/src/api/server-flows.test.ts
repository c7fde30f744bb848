// The API server with the rest of the cluster: leaders and followers, rolling updates, the typed client, events, logs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, ServiceSpecSchema, SHOAL_VERSION, type LogLine } from "@shoal/api";
import { addTasks, serviceSpec, T0 } from "../testing/fixtures.js";
import type { LogSource } from "./handlers.js";
import { api, call, error, type Request } from "../testing/api-harness.js";

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
  assert.equal(
    (await error(follower, { method: "POST", url: "/v1/services", body: serviceSpec("api") }, 409)).code,
    "SHOAL_ERR_ALREADY_EXISTS",
  );
  // Writes without a body too.
  assert.equal((await call(follower, { method: "DELETE", url: "/v1/services/api" })).status, 204);
  assert.equal(leader.store.state.byName("service", "api"), undefined);
});

test("an update of the template starts a rolling update; a rollback returns to the previous spec, or says there is none", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const none = await client.call("serviceRollback", { params: { ref: "web" } }).catch((e: unknown) => e);
  assert.ok(
    none instanceof ApiError && none.status === 400 && none.code === "SHOAL_ERR_NO_PREVIOUS_SPEC",
    String(none),
  );
  const before = await client.call("serviceInspect", { params: { ref: "web" } });
  // A new label only: no task changes, no rolling update.
  const labelled = await client.call("serviceUpdate", {
    params: { ref: "web" },
    body: { version: before.version, spec: { ...before.spec, labels: { tier: "front" } } },
  });
  assert.equal(labelled.updateStatus, undefined);
  const image = {
    ...labelled.spec,
    taskTemplate: {
      ...labelled.spec.taskTemplate,
      container: { ...labelled.spec.taskTemplate.container, image: "busybox:2" },
    },
  };
  const updated = await client.call("serviceUpdate", {
    params: { ref: "web" },
    body: { version: labelled.version, spec: image },
  });
  assert.equal(updated.updateStatus?.state, "updating");
  const back = await client.call("serviceRollback", { params: { ref: "web" } });
  assert.equal(back.spec.taskTemplate.container.image, before.spec.taskTemplate.container.image);
  assert.equal(back.previousSpec?.taskTemplate.container.image, "busybox:2");
  assert.deepEqual([back.updateStatus?.state, back.updateStatus?.message], ["rollback_started", "rollback requested"]);
});

test("the typed client: create, inspect with counts, scale, list, remove", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const created = await client.call("serviceCreate", {
    body: serviceSpec("api", { mode: { mode: "replicated", replicas: 2 }, endpoint: { ports: [{ targetPort: 80 }] } }),
  });
  assert.deepEqual(
    created.endpoint.ports.map((p) => p.publishedPort),
    [30000],
  );
  const scaled = await client.call("serviceScale", { params: { ref: "api" }, body: { replicas: 4 } });
  assert.deepEqual(scaled.spec.mode, { mode: "replicated", replicas: 4 });
  const inspected = await client.call("serviceInspect", { params: { ref: created.id.slice(0, 12) } });
  assert.deepEqual(inspected.serviceStatus, { runningTasks: 0, desiredTasks: 4, completedTasks: 0 });
  assert.deepEqual((await client.call("serviceList")).map((s) => s.spec.name).sort(), ["api", "web"]);
  assert.deepEqual(
    (await client.call("nodeList", { query: { role: "worker" } })).map((n) => n.id),
    ["n1", "n2"],
  );
  assert.equal((await client.call("info")).version, SHOAL_VERSION);
  await client.call("serviceRemove", { params: { ref: "api" } });
  await assert.rejects(
    client.call("serviceInspect", { params: { ref: "api" } }),
    (e: unknown) => e instanceof ApiError && e.status === 404,
  );
});

test("events: the stream delivers a service's creation, from `since` and live", async (t) => {
  const a = await api(t);
  const client = await a.client();
  const ac = new AbortController();
  t.after(() => ac.abort());
  const events = client.stream("events", { query: { since: a.store.state.appliedIndex, kind: "service" } }, ac.signal);
  // Created while the request may still be on its way: `since` covers it either way.
  await a.store.write([
    {
      op: "create",
      kind: "service",
      object: {
        id: "s1",
        spec: ServiceSpecSchema.parse(serviceSpec("first")),
        endpoint: { ports: [], virtualIps: [] },
      },
    },
  ]);
  const first = await events.next();
  assert.deepEqual(first.done ? undefined : [first.value.op, first.value.kind, first.value.id], [
    "create",
    "service",
    "s1",
  ]);
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
    for (let i = 0; i < (q.tail ?? 2); i++)
      yield {
        taskId: task.id,
        serviceId: task.serviceId,
        nodeId: task.nodeId ?? "",
        stream: "stdout",
        time: new Date(T0).toISOString(),
        line: `slot ${task.slot} line ${i}`,
        ...(task.slot !== undefined ? { slot: task.slot } : {}),
      };
  };
  const a = await api(t, { logs: source });
  const iso = new Date(T0).toISOString();
  const [one = "", , , unplaced = ""] = await addTasks(a.store, "web", [
    { slot: 1, nodeId: "n1", status: { state: "running", timestamp: iso, message: "" } },
    { slot: 2, nodeId: "n1", status: { state: "failed", timestamp: iso, message: "" } },
    { slot: 3, nodeId: "n1", status: { state: "running", timestamp: iso, message: "" } },
    { slot: 4 },
  ]);
  const lines = (body: string) =>
    body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LogLine);
  const svc = await a.app.inject({ method: "GET", url: "/v1/services/web/logs?tail=1" });
  assert.equal(svc.statusCode, 200);
  assert.equal(svc.headers["content-type"], "application/x-ndjson");
  const got = lines(svc.body);
  assert.deepEqual(
    got
      .filter((l) => l.stream === "stdout")
      .map((l) => l.line)
      .sort(),
    ["slot 1 line 0", "slot 2 line 0"],
  );
  assert.deepEqual(
    got.filter((l) => l.stream === "stderr").map((l) => [l.slot, l.line]),
    [[3, `[shoal] cannot read logs of task ${got.find((l) => l.slot === 3)?.taskId}: node n1 did not answer`]],
  );
  const task = await a.app.inject({ method: "GET", url: `/v1/tasks/${one}/logs` });
  assert.deepEqual(
    lines(task.body).map((l) => l.line),
    ["slot 1 line 0", "slot 1 line 1"],
  );
  const e = await error(a, { method: "GET", url: `/v1/tasks/${unplaced}/logs` }, 409);
  assert.equal(e.code, "SHOAL_ERR_NO_LOGS");
});
