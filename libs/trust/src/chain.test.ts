import assert from "node:assert/strict";
import { test } from "node:test";
import { assertChain, verifyChain, type VerifyChainOptions } from "./chain.js";
import { CertificateRefusedError, type ChainRefusalReason } from "./errors.js";
import { anyManagerOf } from "./identity.js";
import { parseCertificates } from "./pem.js";
import { issueIntermediateCa } from "./pki/ca.js";
import type { CaSigner } from "./pki/issue.js";
import { generateKeyAndCsr } from "./pki/csr.js";
import { signLeaf } from "./pki/sign.js";
import { forgeCertificate, newTestCa, testCa, type TestCa, type TestCredentials } from "./testing/index.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** An intermediate CA of the test cluster under `issuer`. */
const intermediate = (issuer: CaSigner, name: string) =>
  issueIntermediateCa({ issuer, clusterId: "c-test", name, now: new Date(), validityMs: DAY });

/** Node n1's agent certificate, signed by `signer`. */
async function agentOf(signer: CaSigner) {
  const { csr } = await generateKeyAndCsr();
  const request = { kind: "agent", clusterId: "c-test", nodeId: "n1" } as const;
  return signLeaf({ signer, csr, request, now: new Date(), validityMs: HOUR });
}

/** What to verify: `c`'s chain against `ca`'s trust, with `extra` options. */
const facts = (c: TestCredentials, ca: TestCa, extra: Partial<VerifyChainOptions> = {}) => ({
  presented: parseCertificates(c.chain),
  trust: parseCertificates(ca.trust),
  ...extra,
});

interface Case {
  name: string;
  /** The presented chain and the options, built per case. */
  build: () => Promise<Omit<VerifyChainOptions, "at"> & { at?: Date }>;
  expect: ChainRefusalReason | "ok";
}

const CASES: Case[] = [
  {
    name: "an agent certificate of the cluster's CA",
    build: async () => {
      const ca = await testCa();
      const c = await ca.agent("n1");
      return facts(c, ca, { clusterId: "c-test", purpose: "client" });
    },
    expect: "ok",
  },
  {
    name: "no certificate",
    build: async () => ({ presented: [], trust: parseCertificates((await testCa()).trust) }),
    expect: "empty",
  },
  {
    name: "an expired certificate",
    build: async () => {
      const ca = await testCa();
      const c = await ca.agent("n1", { now: new Date(Date.now() - 2 * DAY), validityMs: HOUR });
      return facts(c, ca);
    },
    expect: "expired",
  },
  {
    name: "a certificate checked at a time before it (clock skew beyond the backdating)",
    build: async () => {
      const ca = await testCa();
      const c = await ca.agent("n1");
      return facts(c, ca, { at: new Date(Date.now() - 2 * HOUR) });
    },
    expect: "not-yet-valid",
  },
  {
    name: "a certificate of another CA (same cluster id)",
    build: async () => {
      const other = await newTestCa("c-test");
      const c = await other.manager("n1");
      return { presented: parseCertificates(c.chain), trust: parseCertificates((await testCa()).trust) };
    },
    expect: "unknown-issuer",
  },
  {
    name: "a leaf used as a CA (a certificate signed with an agent's key)",
    build: async () => {
      const ca = await testCa();
      const agent = await ca.agent("n1");
      const forged = await forgeCertificate(
        { cert: agent.cert, key: agent.key },
        { kind: "manager", clusterId: "c-test", nodeId: "n1" },
      );
      return { presented: parseCertificates(forged.chain), trust: parseCertificates(ca.trust) };
    },
    expect: "not-a-ca",
  },
  {
    name: "a root presented as the peer's certificate",
    build: async () => {
      const ca = await testCa();
      return { presented: parseCertificates(ca.trust), trust: parseCertificates(ca.trust) };
    },
    expect: "not-a-leaf",
  },
  {
    name: "a certificate of another cluster",
    build: async () => {
      const ca = await testCa("c-other");
      const c = await ca.agent("n1");
      return facts(c, ca, { clusterId: "c-test" });
    },
    expect: "wrong-cluster",
  },
  {
    name: "a user certificate used as a server",
    build: async () => {
      const ca = await testCa();
      const c = await ca.user("alice");
      return facts(c, ca, { purpose: "server" });
    },
    expect: "wrong-purpose",
  },
  {
    name: "an agent where a manager is expected",
    build: async () => {
      const ca = await testCa();
      const c = await ca.agent("n1");
      return facts(c, ca, { expect: anyManagerOf("c-test") });
    },
    expect: "wrong-identity",
  },
  {
    name: "two intermediates below a root that allows one",
    build: async () => {
      const ca = await testCa();
      // i1 has path length 0, so it may not issue another CA; the chain check, not the signer, catches it.
      const i2 = await intermediate(await intermediate(ca.signer, "i1"), "i2");
      const leaf = await agentOf(i2);
      return { presented: parseCertificates(leaf.chain), trust: parseCertificates(ca.trust) };
    },
    expect: "path-too-long",
  },
  {
    name: "an intermediate sent in any order after the leaf",
    build: async () => {
      const ca = await testCa();
      const i1 = await intermediate(ca.signer, "i1");
      const leaf = await agentOf(i1);
      const other = await newTestCa("c-test");
      return { presented: parseCertificates([leaf.cert, ...other.trust, i1.cert]), trust: parseCertificates(ca.trust) };
    },
    expect: "ok",
  },
];

for (const c of CASES) {
  test(`chain: ${c.name} -> ${c.expect}`, async () => {
    const opts = await c.build();
    const r = verifyChain({ ...opts, at: opts.at ?? new Date() });
    assert.equal(r.ok ? "ok" : r.reason, c.expect, r.ok ? "" : r.message);
    if (r.ok) {
      assert.deepEqual(r.identity, { kind: "agent", clusterId: "c-test", nodeId: "n1" });
      assert.ok(r.anchor.raw.equals(opts.trust[0]!.raw));
    } else {
      assert.throws(
        () => assertChain({ ...opts, at: opts.at ?? new Date() }),
        (e) => e instanceof CertificateRefusedError && e.reason === c.expect && e.status === 401,
      );
    }
  });
}
