import assert from "node:assert/strict";
import { test } from "node:test";
import { verifyChain } from "../chain.js";
import { parseCertificates } from "../pem.js";
import { newTestCa, testCa } from "./index.js";

test("testCa: one root per process and cluster id; leaves of each kind verify against it", async () => {
  const a = await testCa();
  assert.equal(await testCa(), a, "cached");
  assert.notEqual((await testCa("c-other")).root.cert, a.root.cert);
  assert.notEqual((await newTestCa()).root.cert, a.root.cert, "newTestCa is never cached");
  for (const creds of [await a.agent("n1"), await a.manager("n1", ["10.0.0.1"]), await a.user("u1")]) {
    const r = verifyChain({
      presented: parseCertificates(creds.chain),
      trust: parseCertificates(creds.trust),
      at: new Date(),
      clusterId: "c-test",
    });
    assert.ok(r.ok, r.ok ? "" : r.message);
    assert.deepEqual(r.identity, creds.identity);
  }
});
