// A node renews its own certificate through the API: a new key, a certificate of the same identity for it,
// recorded on the node; a node the cluster no longer has keeps its files and retries.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { X509Certificate } from "node:crypto";
import { startRenewal, type RenewalOptions } from "@shoal/api/node";
import { certificatePaths, writeCertificateFiles, writeTrustBundle } from "@shoal/trust";
import { newTestCa, type TestCa } from "@shoal/trust/testing";
import { api } from "../testing/api-harness.js";
import { nodeObject } from "../testing/fixtures.js";
import { TEST_CA } from "../testing/test-ca.js";
import { apiTlsOf, CLUSTER, HOUR, listen } from "../testing/tls-api.js";

const ca: TestCa = await newTestCa(CLUSTER, { cert: TEST_CA.cert, key: TEST_CA.key, chain: [] });
const quiet = { info: () => undefined, warn: () => undefined };

/** An HTTPS API, and a data dir holding `nodeId`'s agent certificate with only 10 minutes of its hour left. */
async function setup(t: TestContext, nodeId: string) {
  const a = await api(t, { tls: apiTlsOf(await ca.manager("m0", ["127.0.0.1"])) });
  await a.store.write([{ op: "create", kind: "node", object: nodeObject("w1") }]);
  const address = await listen(a.app);
  const dir = mkdtempSync(join(tmpdir(), "shoal-renewal-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = certificatePaths(dir);
  const old = await ca.agent(nodeId, { now: new Date(Date.now() - 50 * 60_000), validityMs: HOUR });
  await writeTrustBundle(paths.trust, ca.trust);
  await writeCertificateFiles(paths.agent, old.chain, old.key);
  const options: RenewalOptions = {
    kind: "agent",
    files: paths.agent,
    trustFile: paths.trust,
    managers: () => [address],
    log: quiet,
    retryMs: 60_000,
  };
  return { a, paths, old, options };
}

test("an agent whose certificate is near its end renews it: same identity, new key, recorded on the node", async (t) => {
  const { a, paths, old, options } = await setup(t, "w1");
  const renewed = new Promise<readonly string[]>((resolve) => {
    const r = startRenewal({ ...options, onRenewed: (chain) => resolve(chain) });
    t.after(() => r.stop());
  });
  const chain = await renewed;
  const leaf = new X509Certificate(readFileSync(paths.agent.cert));
  assert.equal(leaf.serialNumber, new X509Certificate(chain[0] ?? "").serialNumber);
  assert.notEqual(leaf.serialNumber, old.serial);
  assert.equal(leaf.subjectAltName, `URI:shoal://${CLUSTER}/node/w1/agent`);
  assert.notEqual(readFileSync(paths.agent.key, "utf8"), old.key, "a new key");
  assert.ok(Date.parse(leaf.validTo) - Date.now() > 30 * 24 * HOUR, "valid for the cluster's node expiry");
  assert.deepEqual(
    a.store.state.get("node", "w1")?.certificates?.map((c) => [c.kind, c.serial]),
    [["agent", leaf.serialNumber]],
  );
});

test("a node the cluster no longer has keeps its certificate and key, and retries later", async (t) => {
  const { paths, old, options } = await setup(t, "gone");
  let retried: () => void = () => undefined;
  const retrying = new Promise<void>((resolve) => (retried = resolve));
  const warn = (m: string) => {
    if (/cannot renew the agent certificate; retrying/.test(m)) retried();
  };
  const r = startRenewal({ ...options, log: { info: () => undefined, warn } });
  t.after(() => r.stop());
  await assert.rejects(r.renewNow(), /no longer has|removed/);
  assert.equal(new X509Certificate(readFileSync(paths.agent.cert)).serialNumber, old.serial);
  assert.equal(readFileSync(paths.agent.key, "utf8"), old.key);
  // The scheduled attempt failed the same way and planned a retry.
  await retrying;
  assert.ok((r.due ?? 0) > Date.now() + 30_000, "the retry waits");
});
