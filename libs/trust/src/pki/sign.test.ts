import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { keyUsageFlags, KU_CRL_SIGN, KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN, basicConstraints } from "../der.js";
import { CaSignerError, TrustArgumentError } from "../errors.js";
import type { LeafRequest } from "../profile.js";
import { createRootCa } from "./ca.js";
import { generateKeyAndCsr } from "./csr.js";
import { signLeaf } from "./sign.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
// Whole seconds: certificates keep no milliseconds.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const CLIENT = "1.3.6.1.5.5.7.3.2";
const SERVER = "1.3.6.1.5.5.7.3.1";

const rootP = createRootCa({ clusterId: "c1", now: new Date(NOW.getTime() - DAY) });

async function issue(request: LeafRequest, extra: { validityMs?: number; random?: (n: number) => Uint8Array } = {}) {
  const root = await rootP;
  const { csr } = await generateKeyAndCsr();
  const issued = await signLeaf({
    signer: { ...root, chain: [] },
    csr,
    request,
    now: NOW,
    validityMs: extra.validityMs ?? 90 * DAY,
    ...(extra.random ? { random: extra.random } : {}),
  });
  return { issued, cert: new X509Certificate(issued.cert), root: new X509Certificate(root.cert) };
}

test("the root CA: subject, CA with path length 1, keyCertSign and cRLSign, 20 years, self-signed", async () => {
  const root = new X509Certificate((await rootP).cert);
  assert.equal(root.subject, "O=c1\nCN=Shoal root CA 1");
  assert.equal(root.issuer, root.subject);
  assert.ok(root.verify(root.publicKey));
  assert.deepEqual(basicConstraints(root.raw), { ca: true, pathLength: 1 });
  assert.equal(keyUsageFlags(root.raw), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
  assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  const years = (Date.parse(root.validTo) - Date.parse(root.validFrom)) / (365 * DAY);
  assert.ok(years > 19.99 && years < 20.01, `${years} years`);
  const second = new X509Certificate((await createRootCa({ clusterId: "c1", n: 2, now: NOW })).cert);
  assert.equal(second.subject, "O=c1\nCN=Shoal root CA 2");
});

const PROFILES: { name: string; request: LeafRequest; subject: string; sans: string; eku: string[] }[] = [
  {
    name: "agent",
    request: { kind: "agent", clusterId: "c1", nodeId: "n1" },
    subject: "O=c1\nOU=agent\nCN=n1",
    sans: "URI:shoal://c1/node/n1/agent",
    eku: [CLIENT, SERVER],
  },
  {
    name: "manager with an advertise address and a --cert-san name",
    request: {
      kind: "manager",
      clusterId: "c1",
      nodeId: "n2",
      addresses: ["10.1.2.3", "Manager.Example.org", "127.0.0.1"],
    },
    subject: "O=c1\nOU=manager\nCN=n2",
    sans: "URI:shoal://c1/node/n2/manager, IP Address:10.1.2.3, DNS:manager.example.org, IP Address:127.0.0.1, DNS:localhost",
    eku: [CLIENT, SERVER],
  },
  {
    name: "manager without addresses",
    request: { kind: "manager", clusterId: "c1", nodeId: "n3" },
    subject: "O=c1\nOU=manager\nCN=n3",
    sans: "URI:shoal://c1/node/n3/manager, IP Address:127.0.0.1, DNS:localhost",
    eku: [CLIENT, SERVER],
  },
  {
    name: "user",
    request: { kind: "user", clusterId: "c1", userId: "u7", name: "alice" },
    subject: "O=c1\nOU=user\nCN=alice",
    sans: "URI:shoal://c1/user/u7",
    eku: [CLIENT],
  },
];

for (const p of PROFILES) {
  test(`profile ${p.name}: subject, SANs, EKU, KU, not a CA, issued by the root`, async () => {
    const { cert, root, issued } = await issue(p.request);
    assert.equal(cert.subject, p.subject);
    assert.equal(cert.subjectAltName, p.sans);
    assert.deepEqual([...(cert.keyUsage ?? [])].sort(), [...p.eku].sort());
    assert.equal(keyUsageFlags(cert.raw), KU_DIGITAL_SIGNATURE);
    assert.equal(cert.ca, false);
    assert.deepEqual(basicConstraints(cert.raw), { ca: false, pathLength: undefined });
    assert.ok(cert.checkIssued(root) && cert.verify(root.publicKey));
    assert.equal(issued.chain.length, 1, "a root's leaf is sent alone");
    assert.equal(issued.serial, cert.serialNumber);
  });
}

test("validity: backdated one hour, ends validity after now, clamped to the signer's end", async () => {
  const { cert, issued } = await issue({ kind: "agent", clusterId: "c1", nodeId: "n1" }, { validityMs: 90 * DAY });
  assert.equal(Date.parse(cert.validFrom), NOW.getTime() - HOUR);
  assert.equal(Date.parse(cert.validTo), NOW.getTime() + 90 * DAY);
  assert.equal(issued.notBefore.getTime(), NOW.getTime() - HOUR);
  const long = await issue({ kind: "agent", clusterId: "c1", nodeId: "n1" }, { validityMs: 30 * 365 * DAY });
  assert.equal(long.cert.validTo, long.root.validTo);
});

test("serials: 16 random bytes, top bit cleared, never a zero first byte", async () => {
  const cases: [number, string][] = [
    [0xff, "7F".padEnd(32, "F")],
    [0x80, "01".padEnd(32, "80")],
    [0x00, "01".padEnd(32, "0")],
  ];
  for (const [byte, expected] of cases) {
    const { cert } = await issue(
      { kind: "agent", clusterId: "c1", nodeId: "n1" },
      { random: (n) => new Uint8Array(n).fill(byte) },
    );
    assert.equal(cert.serialNumber, expected);
  }
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const { cert } = await issue({ kind: "agent", clusterId: "c1", nodeId: "n1" });
    assert.equal(cert.serialNumber.length, 32);
    assert.ok(parseInt(cert.serialNumber[0]!, 16) < 8);
    serials.add(cert.serialNumber);
  }
  assert.equal(serials.size, 5);
});

test("the signer refuses to sign with a leaf, a key of another certificate, or a zero validity", async () => {
  const root = await rootP;
  const { csr } = await generateKeyAndCsr();
  const request: LeafRequest = { kind: "agent", clusterId: "c1", nodeId: "n1" };
  const leafKey = await generateKeyAndCsr();
  const leaf = await signLeaf({ signer: { ...root, chain: [] }, csr: leafKey.csr, request, now: NOW, validityMs: DAY });
  await assert.rejects(
    signLeaf({ signer: { cert: leaf.cert, key: leafKey.key, chain: [] }, csr, request, now: NOW, validityMs: DAY }),
    (e) => e instanceof CaSignerError && /not a CA/.test(e.message),
  );
  const other = await createRootCa({ clusterId: "c1", now: NOW });
  await assert.rejects(
    signLeaf({ signer: { cert: root.cert, key: other.key, chain: [] }, csr, request, now: NOW, validityMs: DAY }),
    (e) => e instanceof CaSignerError && /does not belong/.test(e.message),
  );
  await assert.rejects(
    signLeaf({ signer: { ...root, chain: [] }, csr, request, now: NOW, validityMs: 0 }),
    TrustArgumentError,
  );
  await assert.rejects(
    signLeaf({
      signer: { ...root, chain: [] },
      csr,
      request: { kind: "agent", clusterId: "c1", nodeId: "../x" },
      now: NOW,
      validityMs: DAY,
    }),
    /node id/,
  );
});
