import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { SHOAL_VERSION, type ShoalClient } from "@shoal/api";
import { updateOf } from "@shoal/store";
import { ManagerStartError, startManager, type ManagerOptions, type RunningManager } from "./manager.js";
import { nodeObject, serviceSpec } from "./testing/fixtures.js";
import { managerClient } from "./testing/manager-client.js";
import { managerOptions } from "./testing/manager-options.js";
import { processExists } from "./testing/net.js";

/** Starts a manager on a new data dir (stopped and removed after the test), with a client of its API. */
async function firstManager(
  t: TestContext,
): Promise<{ o: ManagerOptions; first: RunningManager; client: ShoalClient; running: RunningManager[] }> {
  const dir = mkdtempSync(join(tmpdir(), "shoal-manager-test-"));
  const running: RunningManager[] = [];
  t.after(async () => {
    for (const m of running) await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const o = await managerOptions(dir);
  const first = await startManager(o);
  running.push(first);
  return { o, first, client: managerClient(t, dir, [first.apiAddr]), running };
}

test("a manager inits a cluster, serves the API, and keeps its state across a restart", async (t) => {
  const { o, first, client, running } = await firstManager(t);
  const info = await client.call("info");
  assert.deepEqual(
    [info.version, info.clusterId, info.raft.leader, info.managerAddr],
    [SHOAL_VERSION, first.clusterId, true, `127.0.0.1:${o.apiPort}`],
  );
  const cluster = await client.call("clusterInspect");
  const tokens = await client.call("joinTokens");
  // The tokens pin the cluster's new root CA.
  const [digest] = cluster.ca.rootDigests;
  assert.match(tokens.worker, new RegExp(`^SHLTKN-1-${digest}-[0-9a-z]{25}$`));
  const created = await client.call("serviceCreate", {
    body: serviceSpec("web", { mode: { mode: "replicated", replicas: 2 } }),
  });
  // The secrets as a store made before the bus's route secret held them: a shared bus token instead.
  const secrets = first.store.state.secrets();
  assert.ok(secrets?.routeSecret);
  const { version, createdAt: _c, updatedAt: _u, routeSecret: _r, ...legacy } = secrets;
  const object = { ...legacy, busToken: "old-bus-token" } as unknown as typeof secrets;
  await first.store.write([{ op: "update", kind: "secret", object, expectedVersion: version }]);
  const natsPid = first.nats.pid;
  await first.stop();
  assert.ok(natsPid !== undefined && !processExists(natsPid), "nats-server stopped with the manager");
  await assert.rejects(client.call("info"), { code: "SHOAL_ERR_UNREACHABLE" });

  const second = await startManager({ ...o, init: false });
  running.push(second);
  assert.equal(second.clusterId, first.clusterId);
  const again = await client.call("serviceInspect", { params: { ref: "web" } });
  assert.deepEqual([again.id, again.spec.mode], [created.id, { mode: "replicated", replicas: 2 }]);
  assert.deepEqual(await client.call("joinTokens"), tokens);
  // Its first start as leader migrated the secrets, and its bus server routes with the new secret.
  const migrated = second.store.state.secrets();
  assert.match(migrated?.routeSecret ?? "", /^[0-9a-z]{40}$/);
  assert.ok(migrated && !("busToken" in migrated), "the bus token is gone");
  assert.match(readFileSync(second.nats.configFile, "utf8"), new RegExp(`password: "${migrated.routeSecret}"`));
});

test("a manager without a cluster in its data dir and without init refuses to start, naming `shoal cluster init`", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-manager-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(startManager({ ...(await managerOptions(dir)), init: false }), (e: unknown) => {
    assert.ok(e instanceof ManagerStartError);
    assert.equal(e.code, "SHOAL_ERR_MANAGER_START");
    assert.match(e.message, /holds no cluster: start a new one with `shoal cluster init`/);
    return true;
  });
});

test("a manager restarted with forceNewCluster keeps services and nodes and is the only manager", async (t) => {
  const { o, first, client, running } = await firstManager(t);
  const created = await client.call("serviceCreate", {
    body: serviceSpec("web", { mode: { mode: "replicated", replicas: 2 } }),
  });
  // A second manager the cluster had before losing it: its node object and its place in the managers list.
  const lost = { raftId: 2, apiAddr: "127.0.0.2:7070", natsUrl: "nats://127.0.0.2:7072", raftAddr: "127.0.0.2:7071" };
  const cluster = first.store.state.cluster();
  assert.ok(cluster);
  await first.store.write([
    updateOf("cluster", cluster, { managers: [...cluster.managers, lost] }),
    { op: "create", kind: "node", object: nodeObject("lost-manager", { role: "manager" }) },
  ]);
  const termBefore = first.raft.status().term;
  await first.stop();

  const forced = await startManager({ ...o, init: false, forceNewCluster: true });
  running.push(forced);
  assert.ok(forced.raft.isLeader());
  assert.deepEqual(forced.raft.status().conf.voters, [1]);
  assert.ok(forced.raft.status().term > termBefore, "the term was raised");
  const after = await client.call("clusterInspect");
  assert.deepEqual(
    after.managers.map((m) => [m.raftId, m.apiAddr]),
    [[1, `127.0.0.1:${o.apiPort}`]],
  );
  assert.equal((await client.call("serviceInspect", { params: { ref: "web" } })).id, created.id);
  assert.ok(forced.store.state.get("node", "lost-manager"), "the lost manager's node object stays");
  await client.call("serviceCreate", { body: serviceSpec("after") });
});

test("forceNewCluster on a data dir without a manager's state refuses to start: nothing to recover", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-manager-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(
    startManager({ ...(await managerOptions(dir)), init: false, forceNewCluster: true }),
    (e: unknown) => {
      assert.ok(e instanceof ManagerStartError);
      assert.match(e.message, /holds no manager state, so there is nothing to recover/);
      return true;
    },
  );
});
