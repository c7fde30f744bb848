import { createPublicKey } from "node:crypto";
import { CsrInvalidError } from "../errors.js";
import { EC_P256, generateP256, privateKeyPem } from "./keys.js";
import { x509 } from "./x509.js";

/** The largest CSR the signer reads, in bytes (PEM text or DER): a P-256 CSR is about 400. */
export const MAX_CSR_BYTES = 4096;

/** A private key and a certificate signing request for its public key, both PEM. */
export interface KeyAndCsr {
  /** PKCS#8 PEM; write it 0600. */
  readonly key: string;
  readonly csr: string;
}

/**
 * A new P-256 key and a CSR for it. The CSR's subject (`CN=<commonName>`, default `shoal`) is informative only:
 * the signer takes nothing from a CSR but its public key.
 */
export async function generateKeyAndCsr(opts: { commonName?: string } = {}): Promise<KeyAndCsr> {
  const keys = await generateP256();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [opts.commonName ?? "shoal"] }],
    keys,
    signingAlgorithm: EC_P256,
  });
  const pem = csr.toString("pem").replace(/\r\n/g, "\n");
  return { key: await privateKeyPem(keys.privateKey), csr: pem.endsWith("\n") ? pem : `${pem}\n` };
}

/**
 * Checks a CSR against the signer's whitelist and returns its public key (SPKI DER): at most 4 KiB, PEM or DER,
 * an ECDSA P-256 key, a SHA-256 ECDSA signature that verifies (proof the requester holds the key). Its subject,
 * extensions and attributes are not read. Throws a CsrInvalidError whose `problem` says what failed.
 */
export async function publicKeyOfCsr(csr: string | Uint8Array): Promise<Uint8Array> {
  const size = typeof csr === "string" ? Buffer.byteLength(csr) : csr.byteLength;
  if (size > MAX_CSR_BYTES) {
    throw new CsrInvalidError("size", `it is ${size} bytes, more than ${MAX_CSR_BYTES}`);
  }
  let req: x509.Pkcs10CertificateRequest;
  try {
    req = new x509.Pkcs10CertificateRequest(typeof csr === "string" ? csr : Uint8Array.from(csr));
  } catch (err) {
    throw new CsrInvalidError("encoding", "it is not a PEM or DER PKCS#10 request", { cause: err });
  }
  const spki = new Uint8Array(req.publicKey.rawData);
  let curve: string | undefined;
  let type: string | undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
    type = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch (err) {
    throw new CsrInvalidError("key", "its public key cannot be read", { cause: err });
  }
  if (type !== "ec" || curve !== "prime256v1") {
    throw new CsrInvalidError(
      "key",
      `its key is ${type === "ec" ? `EC ${curve ?? "?"}` : (type ?? "unknown")}; only ECDSA P-256 is accepted`,
    );
  }
  // The library types this with the DOM's Algorithm, which a Node program does not declare.
  const alg = req.signatureAlgorithm as unknown as { name: string; hash: { name: string } };
  if (alg.name !== "ECDSA" || alg.hash.name !== "SHA-256") {
    throw new CsrInvalidError(
      "signature",
      `it is signed with ${alg.name}/${alg.hash.name}; only ECDSA with SHA-256 is accepted`,
    );
  }
  let ok = false;
  try {
    ok = await req.verify();
  } catch (err) {
    throw new CsrInvalidError("signature", "its signature cannot be checked", { cause: err });
  }
  if (!ok) throw new CsrInvalidError("signature", "its signature does not verify with its own public key");
  return spki;
}
