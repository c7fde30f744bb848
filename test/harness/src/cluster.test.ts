import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiError, type Task } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import { ensureBusyboxTarball } from "@shoal/runtime/testing";
import { startCluster, type HarnessCluster } from "./cluster.js";
import { until } from "./until.js";

describe("a cluster of 1 manager and 2 workers, each node a container", { timeout: 600_000 }, () => {
  let c: HarnessCluster | undefined;
  let image = "busybox:latest";
  const cluster = (): HarnessCluster => {
    if (!c) throw new Error("the cluster did not start");
    return c;
  };
  const running = async (): Promise<Task[]> =>
    (
      await cluster()
        .client()
        .call("taskList", { query: { service: "web" } })
    ).filter((t) => t.desiredState === "running" && t.status.state === "running");

  before(async () => {
    const tar = await ensureBusyboxTarball();
    c = await startCluster({ managers: 1, workers: 2 });
    image = await c.loadImage(tar);
  });
  after(async () => {
    await c?.destroy();
  });

  test("shoal node ls lists 3 ready nodes with distinct hostnames and addresses, the manager as Leader", async () => {
    const out = await cluster().nodes[0]?.shoalOk(["node", "ls"]);
    for (const n of cluster().nodes)
      assert.match(
        out ?? "",
        new RegExp(`${n.hostname}\\s+Ready\\s+Active${n.role === "manager" ? "\\s+Leader" : "\\s*$"}`, "m"),
      );
    const nodes = await cluster().client().call("nodeList", {});
    assert.equal(nodes.length, 3);
    assert.equal(new Set(nodes.map((n) => n.description.hostname)).size, 3);
    assert.deepEqual(
      nodes.map((n) => n.status.addr).sort(),
      cluster()
        .nodes.map((n) => n.address)
        .sort(),
    );
  });

  test("the API wants a credential: root on the manager has one, a read-only user only reads, a removed one nothing", async (t) => {
    const [m, w] = [cluster().managers[0], cluster().workers[0]];
    assert.ok(m && w);
    const managers = [`${m.address}:7070`];
    const refusal = async (p: Promise<unknown>): Promise<string> => {
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof ApiError, String(e));
      return `${e.status} ${e.code}`;
    };
    // Root on the manager node makes a user with the CLI (the manager's local socket); the bundle is read back.
    await m.shoalOk(["cluster", "user", "create", "viewer", "--role", "read-only", "--out", "/tmp/viewer"]);
    const file = async (f: string) => await m.execOk(["cat", `/tmp/viewer/${f}`]);
    const viewer = trustedClient({
      managers,
      trust: await file("ca.pem"),
      cert: await file("cert.pem"),
      key: await file("key.pem"),
    });
    const anonymous = trustedClient({ managers, trust: await file("ca.pem") });
    t.after(() => Promise.all([viewer.close(), anonymous.close()]));
    assert.equal((await viewer.client.call("nodeList")).length, 3);
    assert.equal(await refusal(anonymous.client.call("nodeList")), "401 SHOAL_ERR_UNAUTHENTICATED");
    assert.equal(
      await refusal(viewer.client.call("networkCreate", { body: { name: "nope" } })),
      "403 SHOAL_ERR_FORBIDDEN",
    );
    await m.shoalOk(["cluster", "user", "rm", "viewer"]);
    assert.equal(await refusal(viewer.client.call("nodeList")), "401 SHOAL_ERR_UNAUTHENTICATED");
    // A worker has no credential of its own for the API: it is told where to run the command instead.
    const onWorker = await w.shoal(["node", "ls"]);
    assert.notEqual(onWorker.code, 0);
    assert.match(onWorker.stderr, /needs a credential/);
  });

  test("a service of 3 replicas runs one task on each node", async () => {
    await cluster().nodes[0]?.shoalOk([
      "service",
      "create",
      "--replicas",
      "3",
      "--name",
      "web",
      image,
      "sleep",
      "3600",
    ]);
    const tasks = await until(
      async () => {
        const r = await running();
        return r.length === 3 ? r : undefined;
      },
      120_000,
      "3 running tasks of web",
    );
    assert.equal(new Set(tasks.map((t) => t.nodeId)).size, 3);
  });

  test("a worker's agent killed and restarted keeps its tasks", async () => {
    const w = cluster().workers[0];
    assert.ok(w);
    const before = await running();
    const connected = async (): Promise<number> =>
      (await w.execOk(["cat", "/var/lib/shoal/logs/agent.log"])).split("connected to the managers").length - 1;
    const connects = await connected();
    await w.kill("agent");
    await w.restart("agent");
    await until(async () => (await connected()) > connects, 60_000, `the restarted agent of ${w.hostname} to connect`);
    const client = cluster().client();
    await until(
      async () => (await client.call("nodeInspect", { params: { ref: w.hostname } })).status.state === "ready",
      60_000,
      `${w.hostname} ready again`,
    );
    const after = await running();
    assert.deepEqual(
      after.map((t) => `${t.id} ${t.status.containerId ?? ""}`).sort(),
      before.map((t) => `${t.id} ${t.status.containerId ?? ""}`).sort(),
    );
  });

  test("a worker cut off from the manager goes down and is ready again after the partition heals", async () => {
    const m = cluster().managers[0];
    const w = cluster().workers[1];
    assert.ok(m && w);
    const client = cluster().client();
    const state = async (): Promise<string> =>
      (await client.call("nodeInspect", { params: { ref: w.hostname } })).status.state;
    await cluster().partition([w], [m]);
    await until(async () => (await state()) !== "ready", 60_000, `${w.hostname} to be seen as not ready`);
    await cluster().heal();
    await until(async () => (await state()) === "ready", 60_000, `${w.hostname} ready after the heal`);
  });

  test("a paused worker goes down and is ready again once resumed", async () => {
    const w = cluster().workers[0];
    assert.ok(w);
    const client = cluster().client();
    const state = async (): Promise<string> =>
      (await client.call("nodeInspect", { params: { ref: w.hostname } })).status.state;
    await w.pause();
    try {
      await until(
        async () => (await state()) !== "ready",
        60_000,
        `${w.hostname} to be seen as not ready while paused`,
      );
    } finally {
      await w.unpause();
    }
    await until(async () => (await state()) === "ready", 60_000, `${w.hostname} ready after unpause`);
  });
});
