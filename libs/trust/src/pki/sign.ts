import { randomBytes as nodeRandomBytes, X509Certificate } from "node:crypto";
import { KU_DIGITAL_SIGNATURE } from "../der.js";
import { TrustArgumentError } from "../errors.js";
import type { Identity } from "../identity.js";
import { CERT_BACKDATE_MS, leafProfile, type LeafRequest, type RandomBytes } from "../profile.js";
import { publicKeyOfCsr } from "./csr.js";
import { clampToIssuer, issueCertificate, loadSigner, pemOf, type CaSigner } from "./issue.js";

/** A certificate the signer issued, with what the store records of it. */
export interface IssuedCertificate {
  /** The leaf, PEM. */
  readonly cert: string;
  /** The leaf then the certificates toward the anchor (what a TLS peer presents), PEM each. */
  readonly chain: readonly string[];
  /** The serial as Node prints it (upper-case hex). */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly identity: Identity;
}

/** Options of {@link signLeaf}. */
export interface SignLeafOptions {
  readonly signer: CaSigner;
  /** The requester's CSR (PEM or DER); only its public key is used. */
  readonly csr: string | Uint8Array;
  /** Who the certificate is for, from the store and the authenticated caller, never from the CSR. */
  readonly request: LeafRequest;
  readonly now: Date;
  /** How long it is valid from `now`; it is also backdated one hour. Clamped to the signer's own end. */
  readonly validityMs: number;
  readonly random?: RandomBytes;
}

/**
 * Signs a leaf certificate for the public key of a CSR, following the profile of its kind (§4.2): subject
 * `CN=<node|name>, OU=<kind>, O=<cluster>`, the identity URI SAN (managers also their addresses, 127.0.0.1 and
 * localhost), EKU client+server (users: client), KeyUsage digitalSignature, not a CA, a 16-byte random serial,
 * notBefore one hour before `now`. The CSR is checked first (`publicKeyOfCsr`); what it asks for is ignored.
 */
export async function signLeaf(opts: SignLeafOptions): Promise<IssuedCertificate> {
  if (!Number.isFinite(opts.validityMs) || opts.validityMs <= 0) {
    throw new TrustArgumentError("validity", `${opts.validityMs} ms is not a positive duration`);
  }
  const profile = leafProfile(opts.request);
  const publicKey = await publicKeyOfCsr(opts.csr);
  const issuer = await loadSigner(opts.signer, opts.now);
  const leaf = await issueCertificate({
    subject: profile.subject,
    publicKey,
    issuer,
    notBefore: new Date(opts.now.getTime() - CERT_BACKDATE_MS),
    notAfter: clampToIssuer(new Date(opts.now.getTime() + opts.validityMs), issuer),
    keyUsage: KU_DIGITAL_SIGNATURE,
    extendedKeyUsage: profile.extendedKeyUsage,
    subjectAltNames: profile.subjectAltNames,
    random: opts.random ?? nodeRandomBytes,
  });
  const cert = pemOf(leaf);
  return {
    cert,
    chain: [cert, ...issuer.chainAfterLeaf],
    serial: new X509Certificate(cert).serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    identity: profile.identity,
  };
}
