import { KU_CRL_SIGN, KU_KEY_CERT_SIGN } from "../der.js";
import { TrustArgumentError } from "../errors.js";
import { checkIdentityId } from "../identity.js";
import { CERT_BACKDATE_MS, ROOT_CA_EXPIRY_MS, rootSubject, type RandomBytes } from "../profile.js";
import { generateP256, privateKeyPem } from "./keys.js";
import { clampToIssuer, issueCertificate, loadSigner, pemOf, type CaMaterial, type CaSigner } from "./issue.js";
import { x509 } from "./x509.js";

/** What every CA certificate Shoal makes may do: sign certificates and revocation lists. */
const CA_KEY_USAGE = KU_KEY_CERT_SIGN | KU_CRL_SIGN;

function checkValidity(validityMs: number): void {
  if (!Number.isFinite(validityMs) || validityMs <= 0) {
    throw new TrustArgumentError("validity", `${validityMs} ms is not a positive duration`);
  }
}

/** Options of {@link createRootCa}. */
export interface RootCaOptions {
  readonly clusterId: string;
  /** The root's number within the cluster (1 at init, then 2, 3, ... at each rotation). Default 1. */
  readonly n?: number;
  /** The time of issue; notBefore is one hour earlier (clock skew). */
  readonly now: Date;
  /** Default 20 years. */
  readonly validityMs?: number;
  readonly random?: RandomBytes;
}

/**
 * A new root CA: a P-256 key and a self-signed certificate `CN=Shoal root CA <n>, O=<cluster id>`,
 * BasicConstraints CA with path length 1 (one intermediate may sit below it: an external CA's, or the
 * cross-signed certificate of a rotation), KeyUsage keyCertSign and cRLSign, valid 20 years.
 */
export async function createRootCa(opts: RootCaOptions): Promise<CaMaterial> {
  const validityMs = opts.validityMs ?? ROOT_CA_EXPIRY_MS;
  checkValidity(validityMs);
  const keys = await generateP256();
  const cert = await issueCertificate({
    subject: rootSubject(opts.clusterId, opts.n ?? 1),
    publicKey: keys.publicKey,
    issuer: { self: keys.privateKey },
    notBefore: new Date(opts.now.getTime() - CERT_BACKDATE_MS),
    notAfter: new Date(opts.now.getTime() + validityMs),
    ca: { pathLength: 1 },
    keyUsage: CA_KEY_USAGE,
    ...(opts.random ? { random: opts.random } : {}),
  });
  return { cert: pemOf(cert), key: await privateKeyPem(keys.privateKey) };
}

/** Options of {@link issueIntermediateCa}. */
export interface IntermediateCaOptions {
  /** The CA that issues the intermediate (a root, or another intermediate). */
  readonly issuer: CaSigner;
  readonly clusterId: string;
  /** The intermediate's common name. */
  readonly name: string;
  readonly now: Date;
  readonly validityMs: number;
  readonly random?: RandomBytes;
}

/**
 * A new intermediate CA issued by `issuer` (path length 0: it signs only leaves), returned as a signer whose
 * chain leads to the issuer's anchor. The cluster signs with one when an operator's CA issued it
 * (`--external-ca`); tests make one here to stand for it.
 */
export async function issueIntermediateCa(opts: IntermediateCaOptions): Promise<CaSigner> {
  checkValidity(opts.validityMs);
  checkIdentityId("cluster id", opts.clusterId);
  const issuer = await loadSigner(opts.issuer, opts.now);
  const keys = await generateP256();
  const cert = await issueCertificate({
    subject: [
      { key: "O", value: opts.clusterId },
      { key: "CN", value: opts.name },
    ],
    publicKey: keys.publicKey,
    issuer,
    notBefore: new Date(opts.now.getTime() - CERT_BACKDATE_MS),
    notAfter: clampToIssuer(new Date(opts.now.getTime() + opts.validityMs), issuer),
    ca: { pathLength: 0 },
    keyUsage: CA_KEY_USAGE,
    ...(opts.random ? { random: opts.random } : {}),
  });
  return { cert: pemOf(cert), key: await privateKeyPem(keys.privateKey), chain: issuer.chainAfterLeaf };
}

/** Options of {@link crossSign}. */
export interface CrossSignOptions {
  /** The new root's certificate (PEM). */
  readonly root: string;
  /** The old root, which vouches for the new one. */
  readonly by: CaMaterial;
  readonly now: Date;
  readonly random?: RandomBytes;
}

/**
 * The cross-signed certificate of a root rotation: the new root's subject, key, key identifier and constraints,
 * issued by the old root, valid as long as both are. A leaf the new root signs, sent with this certificate,
 * verifies for peers that trust only the old root, only the new one, or both.
 */
export async function crossSign(opts: CrossSignOptions): Promise<string> {
  const issuer = await loadSigner({ ...opts.by, chain: [] }, opts.now);
  const root = new x509.X509Certificate(opts.root);
  const constraints = root.getExtension(x509.BasicConstraintsExtension);
  const usage = root.getExtension(x509.KeyUsagesExtension);
  const ski = root.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!constraints?.ca) throw new TrustArgumentError("root", "the certificate to cross-sign is not a CA");
  const cert = await issueCertificate({
    subject: root.subjectName,
    publicKey: new Uint8Array(root.publicKey.rawData),
    issuer,
    notBefore: root.notBefore,
    notAfter: clampToIssuer(root.notAfter, issuer),
    ca: { pathLength: constraints.pathLength },
    keyUsage: usage?.usages ?? CA_KEY_USAGE,
    ...(ski ? { subjectKeyId: ski.keyId } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  return pemOf(cert);
}
