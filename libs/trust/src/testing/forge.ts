import { X509Certificate } from "node:crypto";
import { KU_DIGITAL_SIGNATURE } from "../der.js";
import { CERT_BACKDATE_MS, leafProfile, type LeafRequest } from "../profile.js";
import { generateKeyAndCsr, publicKeyOfCsr } from "../pki/csr.js";
import { issueCertificate, pemOf, type CaMaterial, type LoadedSigner } from "../pki/issue.js";
import { signingKey } from "../pki/keys.js";
import { x509 } from "../pki/x509.js";
import type { TestCredentials } from "./index.js";

/**
 * A certificate that no Shoal CA would issue: `request`'s profile signed with the key of `issuer`, any
 * certificate at all (a leaf, say), without the signer's checks. For tests of refusals ("a leaf used as a CA").
 */
export async function forgeCertificate(
  issuer: CaMaterial,
  request: LeafRequest,
  opts: { now?: Date; validityMs?: number } = {},
): Promise<TestCredentials> {
  const now = opts.now ?? new Date();
  const cert = new x509.X509Certificate(issuer.cert);
  const loaded: LoadedSigner = {
    cert,
    node: new X509Certificate(issuer.cert),
    key: await signingKey(issuer.key),
    chainAfterLeaf: [issuer.cert],
    keyId: Buffer.from(await cert.publicKey.getKeyIdentifier()).toString("hex"),
  };
  const { key, csr } = await generateKeyAndCsr();
  const profile = leafProfile(request);
  const leaf = await issueCertificate({
    subject: profile.subject,
    publicKey: await publicKeyOfCsr(csr),
    issuer: loaded,
    notBefore: new Date(now.getTime() - CERT_BACKDATE_MS),
    notAfter: new Date(now.getTime() + (opts.validityMs ?? 24 * 60 * 60 * 1000)),
    keyUsage: KU_DIGITAL_SIGNATURE,
    extendedKeyUsage: profile.extendedKeyUsage,
    subjectAltNames: profile.subjectAltNames,
  });
  const pem = pemOf(leaf);
  return {
    identity: profile.identity,
    chain: [pem, issuer.cert],
    cert: pem,
    key,
    trust: [],
    serial: new X509Certificate(pem).serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}
