import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SHOAL_VERSION, ShoalClient } from "@shoal/api";
import { ManagerStartError, startManager, type ManagerOptions, type RunningManager } from "./daemon.js";
import { silentLogger } from "./log.js";
import { serviceSpec } from "./testing/fixtures.js";
import { freePort, processExists } from "./testing/net.js";

async function options(dataDir: string): Promise<ManagerOptions> {
  return {
    dataDir,
    listenAddr: "127.0.0.1",
    advertiseAddr: "127.0.0.1",
    apiPort: await freePort(),
    raftPort: await freePort(),
    natsPort: await freePort(),
    natsClusterPort: await freePort(),
    init: true,
    natsServer: "/usr/sbin/nats-server",
    log: silentLogger,
  };
}

test("a manager inits a cluster, serves the API, and keeps its state across a restart", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-manager-test-"));
  const running: RunningManager[] = [];
  t.after(async () => {
    for (const m of running) await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const o = await options(dir);
  const first = await startManager(o);
  running.push(first);
  const client = new ShoalClient({ managers: [first.apiAddr], timeoutMs: 10_000 });
  const info = await client.call("info");
  assert.deepEqual([info.version, info.clusterId, info.raft.leader, info.managerAddr], [SHOAL_VERSION, first.clusterId, true, `127.0.0.1:${o.apiPort}`]);
  const cluster = await client.call("clusterInspect");
  assert.match(cluster.joinTokens.worker, new RegExp(`^SHLTKN-1-${first.clusterId}-w`));
  const created = await client.call("serviceCreate", { body: serviceSpec("web", { mode: { mode: "replicated", replicas: 2 } }) });
  const natsPid = first.nats.pid;
  await first.stop();
  assert.ok(natsPid !== undefined && !processExists(natsPid), "nats-server stopped with the manager");
  await assert.rejects(client.call("info"), { code: "SHOAL_ERR_UNREACHABLE" });

  const second = await startManager({ ...o, init: false });
  running.push(second);
  assert.equal(second.clusterId, first.clusterId);
  const again = await client.call("serviceInspect", { params: { ref: "web" } });
  assert.deepEqual([again.id, again.spec.mode], [created.id, { mode: "replicated", replicas: 2 }]);
  assert.equal((await client.call("clusterInspect")).joinTokens.worker, cluster.joinTokens.worker);
});

test("a manager without a cluster in its data dir and without init refuses to start, naming `shoal cluster init`", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-manager-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(startManager({ ...(await options(dir)), init: false }), (e: unknown) => {
    assert.ok(e instanceof ManagerStartError);
    assert.equal(e.code, "SHOAL_ERR_MANAGER_START");
    assert.match(e.message, /holds no cluster: start a new one with `shoal cluster init`/);
    return true;
  });
});
