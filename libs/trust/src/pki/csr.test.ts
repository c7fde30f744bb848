import assert from "node:assert/strict";
import { X509Certificate, webcrypto } from "node:crypto";
import { test } from "node:test";
import { CsrInvalidError } from "../errors.js";
import { createRootCa } from "./ca.js";
import { generateKeyAndCsr, MAX_CSR_BYTES, publicKeyOfCsr } from "./csr.js";
import { EC_P256, generateP256 } from "./keys.js";
import { signLeaf } from "./sign.js";
import { x509 } from "./x509.js";

const NOW = new Date();
const rootP = createRootCa({ clusterId: "c1", now: NOW });

/** Node n1's agent certificate for `csr`, signed by the test root. */
async function signAgent(csr: string | Uint8Array) {
  const root = await rootP;
  const request = { kind: "agent", clusterId: "c1", nodeId: "n1" } as const;
  return signLeaf({ signer: { ...root, chain: [] }, csr, request, now: NOW, validityMs: 3_600_000 });
}

/** A CSR made by hand, as a requester trying its luck would. */
async function craftedCsr(opts: {
  name?: string;
  sans?: x509.JsonGeneralNames;
  keys?: webcrypto.CryptoKeyPair;
  alg?: object;
}): Promise<string> {
  const keys = opts.keys ?? (await generateP256());
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: opts.name ?? "CN=n1",
    keys,
    signingAlgorithm: opts.alg ?? EC_P256,
    extensions: opts.sans ? [new x509.SubjectAlternativeNameExtension(opts.sans)] : [],
  });
  return csr.toString("pem");
}

test("a CSR asking for OU=manager, another CN and extra SANs gets an agent certificate without them", async () => {
  const csr = await craftedCsr({
    name: "CN=someone-else, OU=manager, O=other-cluster",
    sans: [
      { type: "url", value: "shoal://c1/node/n9/manager" },
      { type: "dns", value: "evil.example" },
      { type: "ip", value: "10.9.9.9" },
    ],
  });
  const issued = await signAgent(csr);
  const cert = new X509Certificate(issued.cert);
  assert.equal(cert.subject, "O=c1\nOU=agent\nCN=n1");
  assert.equal(cert.subjectAltName, "URI:shoal://c1/node/n1/agent");
});

test("the certified key is the CSR's key", async () => {
  const keys = await generateP256();
  const csr = await craftedCsr({ keys });
  const issued = await signAgent(csr);
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
  assert.ok(new X509Certificate(issued.cert).publicKey.export({ type: "spki", format: "der" }).equals(spki));
});

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

const REFUSED: { name: string; csr: () => Promise<string | Uint8Array>; problem: CsrInvalidError["problem"] }[] = [
  {
    name: "an RSA key",
    csr: async () =>
      craftedCsr({
        keys: await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"]),
        alg: RSA,
      }),
    problem: "key",
  },
  {
    name: "a P-384 key",
    csr: async () =>
      craftedCsr({
        keys: await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign", "verify"]),
        alg: { name: "ECDSA", hash: "SHA-384" },
      }),
    problem: "key",
  },
  {
    name: "a signature by another key than the one it names",
    csr: async () => {
      const a = await generateP256();
      const b = await generateP256();
      return craftedCsr({ keys: { publicKey: b.publicKey, privateKey: a.privateKey } });
    },
    problem: "signature",
  },
  {
    name: "an ECDSA signature over SHA-512",
    csr: async () => craftedCsr({ alg: { name: "ECDSA", hash: "SHA-512" } }),
    problem: "signature",
  },
  {
    name: "more than 4 KiB",
    csr: async () =>
      craftedCsr({
        sans: Array.from({ length: 200 }, (_, i) => ({ type: "dns" as const, value: `n${i}.example.org` })),
      }),
    problem: "size",
  },
  {
    name: "not a CSR",
    csr: () => Promise.resolve("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
    problem: "encoding",
  },
  { name: "random bytes", csr: () => Promise.resolve(Uint8Array.from([0x30, 0x03, 0x02, 0x01])), problem: "encoding" },
];

for (const r of REFUSED) {
  test(`a CSR with ${r.name} is refused (${r.problem})`, async () => {
    const csr = await r.csr();
    if (r.problem === "size") assert.ok(csr.length > MAX_CSR_BYTES);
    else if (typeof csr === "string") assert.ok(csr.length < MAX_CSR_BYTES);
    await assert.rejects(
      publicKeyOfCsr(csr),
      (e) =>
        e instanceof CsrInvalidError &&
        e.problem === r.problem &&
        e.code === "SHOAL_ERR_CSR_INVALID" &&
        e.status === 400,
    );
    await assert.rejects(signAgent(csr), CsrInvalidError);
  });
}

test("generateKeyAndCsr makes a P-256 key and a CSR the whitelist accepts, DER too", async () => {
  const { key, csr } = await generateKeyAndCsr({ commonName: "n1" });
  assert.match(key, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.ok(Buffer.byteLength(csr) < 1024);
  const spki = await publicKeyOfCsr(csr);
  const der = new x509.Pkcs10CertificateRequest(csr).rawData;
  assert.deepEqual(await publicKeyOfCsr(new Uint8Array(der)), spki);
});
