// A second manager joins a real first one the way `shoal cluster join` with the manager token makes it: the
// node joins (its agent certificate), then its manager gets a manager certificate with it and joins Raft with
// that, no token involved. A worker node's manager is refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { X509Certificate } from "node:crypto";
import type { ShoalClient } from "@shoal/api";
import { certificatePaths, splitPemCertificates, writeCertificateFiles, writeTrustBundle } from "@shoal/trust";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { ManagerStartError, startManager, type RunningManager } from "./manager.js";
import { pollUntil } from "./testing/fixtures.js";
import { managerClient } from "./testing/manager-client.js";
import { managerOptions } from "./testing/manager-options.js";

/** Joins a node with `token` through `client` and writes its agent certificate into `dataDir`: its node id. */
async function joinNode(client: ShoalClient, token: string, dataDir: string): Promise<string> {
  const { key, csr } = await generateKeyAndCsr();
  const info = await client.call("clusterJoin", { body: { token, csr } });
  const paths = certificatePaths(dataDir);
  await writeTrustBundle(paths.trust, splitPemCertificates(info.trust));
  await writeCertificateFiles(paths.agent, splitPemCertificates(info.certificate), key);
  return info.nodeId;
}

async function cluster(t: TestContext) {
  const base = mkdtempSync(join(tmpdir(), "shoal-manager-join-"));
  const running: RunningManager[] = [];
  t.after(async () => {
    for (const m of running.reverse()) await m.stop();
    rmSync(base, { recursive: true, force: true });
  });
  const options = await managerOptions(join(base, "m1"));
  const first = await startManager(options);
  running.push(first);
  const client = managerClient(t, join(base, "m1"), [first.apiAddr]);
  return { base, options, first, client, running, tokens: await client.call("joinTokens") };
}

test("a node joined with the manager token runs a manager that joins Raft with its own manager certificate", async (t) => {
  const { base, first, client, running, tokens } = await cluster(t);
  const dir = join(base, "m2");
  const nodeId = await joinNode(client, tokens.manager, dir);
  const second = await startManager({
    ...(await managerOptions(dir)),
    init: false,
    join: { managers: [first.apiAddr] },
  });
  running.push(second);
  const managers = (await client.call("clusterInspect")).managers;
  assert.deepEqual(
    managers.map((m) => [m.raftId, m.nodeId]),
    [
      [1, first.store.state.cluster()?.managers[0]?.nodeId],
      [2, nodeId],
    ],
  );
  const node = await client.call("nodeInspect", { params: { ref: nodeId } });
  assert.deepEqual(
    node.certificates?.map((c) => c.kind),
    ["agent", "manager"],
  );
  // The new manager serves its API with a manager certificate of its node, and follows the leader.
  const leaf = new X509Certificate(readFileSync(certificatePaths(dir).manager.cert));
  assert.match(leaf.subjectAltName ?? "", new RegExp(`URI:shoal://${first.clusterId}/node/${nodeId}/manager`));
  const viaSecond = managerClient(t, join(base, "m1"), [second.apiAddr]);
  await pollUntil(
    async () => (await viaSecond.call("info")).raft.leaderId === "1",
    "the second manager knows the leader",
  );
  // Their bus servers open TLS routes to each other with their manager certificates (routes.test.ts checks
  // that messages cross them).
  for (const m of [first, second])
    await pollUntil(
      () => readFileSync(m.nats.logFile, "utf8").includes("Route connection created"),
      "a route between the managers' bus servers",
      10_000,
      100,
    );
});

test("two managers restarted without their manager certificates issue themselves new ones and find each other over TLS", async (t) => {
  const { base, options, first, client, running, tokens } = await cluster(t);
  const dir = join(base, "m2");
  await joinNode(client, tokens.manager, dir);
  const secondOptions = { ...(await managerOptions(dir)), init: false };
  const second = await startManager({ ...secondOptions, join: { managers: [first.apiAddr] } });
  running.push(second);
  await pollUntil(() => first.raft.status().conf.voters.includes(2), "the second manager promoted to voter");
  await second.stop();
  await first.stop();
  // As after the cluster was down past the certificates' expiry: Raft's peers would refuse them.
  for (const d of [options.dataDir, dir]) rmSync(certificatePaths(d).manager.cert);
  const restarted = await Promise.all([startManager({ ...options, init: false }), startManager(secondOptions)]);
  running.push(...restarted);
  const [m1, m2] = restarted;
  await pollUntil(() => m1.raft.status().lead !== 0 && m1.raft.status().lead === m2.raft.status().lead, "one leader");
  for (const d of [options.dataDir, dir]) assert.ok(readFileSync(certificatePaths(d).manager.cert).length > 0);
});

test("a worker node's manager is refused: it gets no manager certificate and does not join Raft", async (t) => {
  const { base, first, client, tokens } = await cluster(t);
  const dir = join(base, "w1");
  await joinNode(client, tokens.worker, dir);
  await assert.rejects(
    startManager({ ...(await managerOptions(dir)), init: false, join: { managers: [first.apiAddr] } }),
    (e: unknown) =>
      e instanceof ManagerStartError &&
      /is a worker: only a manager node may get a manager certificate/.test(e.message),
  );
  assert.equal((await client.call("clusterInspect")).managers.length, 1);
});
