import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { CaMismatchError, CertificateRefusedError, certificatePaths, joinPem } from "@shoal/trust";
import { newTestCa, testCa } from "@shoal/trust/testing";
import { InvalidTokenError, JoinError } from "./errors.js";
import { joinNode } from "./join.js";
import { joinServerTokens, startJoinServer, type JoinAnswerBase } from "./testing/join-server.js";

const refusedCertificate = (e: unknown) =>
  e instanceof JoinError && e.cause instanceof CertificateRefusedError && /is not this node's/.test(e.message);

const BASE: JoinAnswerBase = {
  clusterId: "cj",
  nodeId: "n7",
  natsUrls: ["nats://127.0.0.1:1"],
  managers: ["127.0.0.1:1"],
};

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-join-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("join: the node's certificate, key and trust bundle are saved, and join.json last", async (t) => {
  const server = await startJoinServer(await testCa("cj"), BASE);
  t.after(() => server.close());
  const dir = tempDir(t);
  const info = await joinNode(dir, [server.addr], server.token, { hostname: "h1" });
  assert.equal(info.nodeId, "n7");
  const paths = certificatePaths(dir);
  for (const f of [paths.trust, paths.agent.cert, paths.agent.key, path.join(dir, "agent", "join.json")])
    assert.ok(existsSync(f), f);
  const sent = server.received[0] as { csr: string; node: { hostname: string }; token: string };
  assert.match(sent.csr, /BEGIN CERTIFICATE REQUEST/);
  assert.equal(sent.node.hostname, "h1");
});

test("join: a malformed token is refused before anything is sent", async (t) => {
  const server = await startJoinServer(await testCa("cj"), BASE);
  t.after(() => server.close());
  await assert.rejects(joinNode(tempDir(t), [server.addr], `${server.token}x`), InvalidTokenError);
  assert.equal(server.received.length, 0);
});

test("join: a manager that does not present the token's CA gets nothing: the token is not sent", async (t) => {
  const ours = await testCa("cj");
  const impostor = await startJoinServer(await newTestCa("cj"), BASE);
  t.after(() => impostor.close());
  const dir = tempDir(t);
  await assert.rejects(
    joinNode(dir, [impostor.addr], joinServerTokens(ours).worker),
    (e: unknown) => e instanceof CaMismatchError && /the token was not sent/.test(e.message),
  );
  assert.deepEqual(impostor.received, [], "the impostor received no request");
  assert.equal(existsSync(path.join(dir, "agent", "join.json")), false);
});

test("join: answers the token's CA does not vouch for are refused, and nothing is saved", async (t) => {
  const ca = await testCa("cj");
  const other = await newTestCa("cj");
  const cases: [string, Parameters<typeof startJoinServer>[2], (e: unknown) => boolean][] = [
    [
      "a trust bundle without the token's root",
      { answer: (a) => ({ ...a, trust: joinPem(other.trust) }) },
      (e) => e instanceof JoinError && /CA the join token does not name/.test(e.message),
    ],
    ["a certificate naming another node", { request: (r) => ({ ...r, nodeId: "n8" }) }, refusedCertificate],
    [
      "an answer naming another node than its certificate",
      { answer: (a) => ({ ...a, nodeId: "n9" }) },
      refusedCertificate,
    ],
    [
      "a manager certificate instead of an agent one",
      { request: () => ({ kind: "manager", clusterId: BASE.clusterId, nodeId: BASE.nodeId }) },
      refusedCertificate,
    ],
  ];
  for (const [name, tamper, expected] of cases) {
    const server = await startJoinServer(ca, BASE, tamper);
    const dir = tempDir(t);
    try {
      await assert.rejects(joinNode(dir, [server.addr], server.token), expected, name);
      assert.equal(existsSync(path.join(dir, "agent", "join.json")), false, `${name}: nothing saved`);
    } finally {
      await server.close();
    }
  }
});
