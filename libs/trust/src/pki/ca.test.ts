import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { verifyChain } from "../chain.js";
import { basicConstraints } from "../der.js";
import { parseCertificates } from "../pem.js";
import { createRootCa, crossSign, issueIntermediateCa } from "./ca.js";
import { generateKeyAndCsr } from "./csr.js";
import { signLeaf } from "./sign.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date();

test("an intermediate (external CA case) signs leaves whose chain carries it, and they verify against the root", async () => {
  const root = await createRootCa({ clusterId: "c1", now: NOW });
  const inter = await issueIntermediateCa({
    issuer: { ...root, chain: [] },
    clusterId: "c1",
    name: "Shoal signer",
    now: NOW,
    validityMs: 365 * DAY,
  });
  assert.deepEqual(basicConstraints(new X509Certificate(inter.cert).raw), { ca: true, pathLength: 0 });
  assert.deepEqual(inter.chain, [], "the root is not sent");
  const { csr } = await generateKeyAndCsr();
  const leaf = await signLeaf({
    signer: inter,
    csr,
    request: { kind: "agent", clusterId: "c1", nodeId: "n1" },
    now: NOW,
    validityMs: DAY,
  });
  assert.equal(leaf.chain.length, 2);
  assert.equal(leaf.chain[1], inter.cert);
  const r = verifyChain({ presented: parseCertificates(leaf.chain), trust: parseCertificates(root.cert), at: NOW });
  assert.ok(r.ok, r.ok ? "" : r.message);
  assert.equal(r.path.length, 3);
  // Without the intermediate, nothing links the leaf to the root.
  const alone = verifyChain({ presented: parseCertificates(leaf.cert), trust: parseCertificates(root.cert), at: NOW });
  assert.equal(alone.ok ? "ok" : alone.reason, "unknown-issuer");
});

test("cross-signing: a leaf of the new root sent with the cross certificate verifies for old, new and both roots", async () => {
  const r1 = await createRootCa({ clusterId: "c1", n: 1, now: NOW });
  const r2 = await createRootCa({ clusterId: "c1", n: 2, now: NOW });
  const x = await crossSign({ root: r2.cert, by: r1, now: NOW });
  const xc = new X509Certificate(x);
  const r2c = new X509Certificate(r2.cert);
  assert.equal(xc.subject, r2c.subject);
  assert.equal(xc.issuer, new X509Certificate(r1.cert).subject);
  assert.ok(xc.publicKey.equals(r2c.publicKey));
  assert.deepEqual(basicConstraints(xc.raw), { ca: true, pathLength: 1 });
  const { csr } = await generateKeyAndCsr();
  const leaf = await signLeaf({
    signer: { ...r2, chain: [x] },
    csr,
    request: { kind: "manager", clusterId: "c1", nodeId: "n1" },
    now: NOW,
    validityMs: DAY,
  });
  assert.deepEqual(leaf.chain.slice(1), [x]);
  for (const [name, trust, depth] of [
    ["old root only", [r1.cert], 3],
    ["new root only", [r2.cert], 2],
    ["both roots", [r1.cert, r2.cert], 2],
  ] as const) {
    const r = verifyChain({ presented: parseCertificates(leaf.chain), trust: parseCertificates([...trust]), at: NOW });
    assert.ok(r.ok, `${name}: ${r.ok ? "" : r.message}`);
    assert.equal(r.path.length, depth, name);
  }
  const other = await createRootCa({ clusterId: "c1", n: 3, now: NOW });
  const r = verifyChain({ presented: parseCertificates(leaf.chain), trust: parseCertificates(other.cert), at: NOW });
  assert.equal(r.ok ? "ok" : r.reason, "unknown-issuer");
});
