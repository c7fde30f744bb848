import { X509Certificate as NodeCertificate, randomBytes as nodeRandomBytes, type webcrypto } from "node:crypto";
import { KU_KEY_CERT_SIGN, keyUsageFlags } from "../der.js";
import { CaSignerError } from "../errors.js";
import type { DistinguishedName, ExtendedKeyUsage, RandomBytes, SubjectAltName } from "../profile.js";
import { EKU_OIDS, newSerial } from "../profile.js";
import { EC_P256, publicKeyDerOf, signingKey } from "./keys.js";
import { x509 } from "./x509.js";

/** CA material: a certificate and its private key, both PEM (PKCS#8 for the key). */
export interface CaMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * What signs certificates: a CA certificate, its key, and the certificates to send after it toward the trust
 * anchor (empty for a root; for an intermediate, its issuers up to the root; during a root rotation, the
 * cross-signed certificate). Issued chains are `[leaf, cert unless self-signed, ...chain]`.
 */
export interface CaSigner extends CaMaterial {
  readonly chain: readonly string[];
}

/** A signer checked and ready to sign: its parsed certificate, signing key, and the chain to append. */
export interface LoadedSigner {
  readonly cert: x509.X509Certificate;
  readonly node: NodeCertificate;
  readonly key: webcrypto.CryptoKey;
  /** PEMs to send after a leaf it issues. */
  readonly chainAfterLeaf: readonly string[];
  /** Its subject key identifier (hex), for the issued certificates' authority key identifier. */
  readonly keyId: string;
}

/** Reads a signer and checks it can sign at `now`: a CA, with keyCertSign, valid, and its key matching. */
export async function loadSigner(signer: CaSigner, now: Date): Promise<LoadedSigner> {
  let node: NodeCertificate;
  try {
    node = new NodeCertificate(signer.cert);
  } catch (err) {
    throw new CaSignerError("its certificate is not a PEM certificate", { cause: err });
  }
  if (!node.ca) throw new CaSignerError(`${node.subject.replace(/\n/g, ", ")} is not a CA certificate`);
  const ku = keyUsageFlags(node.raw);
  if (ku !== undefined && !(ku & KU_KEY_CERT_SIGN)) {
    throw new CaSignerError("its certificate's key usage does not allow signing certificates");
  }
  if (now.getTime() < Date.parse(node.validFrom) || now.getTime() > Date.parse(node.validTo)) {
    throw new CaSignerError(`its certificate is valid from ${node.validFrom} to ${node.validTo}, not now`);
  }
  const key = await signingKey(signer.key);
  if (!publicKeyDerOf(signer.key).equals(node.publicKey.export({ format: "der", type: "spki" }))) {
    throw new CaSignerError("its private key does not belong to its certificate");
  }
  const cert = new x509.X509Certificate(node.raw);
  const selfSigned = node.checkIssued(node) && node.verify(node.publicKey);
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? Buffer.from(await cert.publicKey.getKeyIdentifier()).toString("hex");
  return { cert, node, key, chainAfterLeaf: [...(selfSigned ? [] : [signer.cert]), ...signer.chain], keyId };
}

/** What one certificate says; {@link issueCertificate} encodes and signs it. */
export interface CertificateSpec {
  readonly subject: DistinguishedName | x509.Name;
  /** The certified public key: SPKI DER, or a WebCrypto key. */
  readonly publicKey: Uint8Array | webcrypto.CryptoKey;
  /** Who signs: a loaded signer, or "self" with the subject's own private key (a root). */
  readonly issuer: LoadedSigner | { readonly self: webcrypto.CryptoKey };
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Present for a CA certificate: its path length constraint (undefined = unlimited). */
  readonly ca?: { readonly pathLength: number | undefined };
  /** KeyUsage flags (`der.ts` numbering). */
  readonly keyUsage: number;
  readonly extendedKeyUsage?: readonly ExtendedKeyUsage[];
  readonly subjectAltNames?: readonly SubjectAltName[];
  /** Reuse this subject key identifier (hex) instead of deriving one (a cross-signed copy of a root keeps its own). */
  readonly subjectKeyId?: string;
  readonly random?: RandomBytes;
}

const SAN_TYPE = { uri: "url", ip: "ip", dns: "dns" } as const;

/** A distinguished name as the library's Name (its JSON form keeps the attribute order). */
export function toName(dn: DistinguishedName | x509.Name): x509.Name {
  if (dn instanceof x509.Name) return dn;
  return new x509.Name(dn.map((a) => ({ [a.key]: [a.value] })));
}

/**
 * Encodes and signs one certificate as the spec says, and nothing else: the one place certificates are made.
 * BasicConstraints and KeyUsage are critical; SANs, EKU, subject and authority key identifiers are not.
 */
export async function issueCertificate(spec: CertificateSpec): Promise<x509.X509Certificate> {
  const publicKey = await x509.PublicKey.create(spec.publicKey);
  const subjectKeyId = spec.subjectKeyId ?? Buffer.from(await publicKey.getKeyIdentifier()).toString("hex");
  const signer = "self" in spec.issuer ? undefined : spec.issuer;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(spec.ca !== undefined, spec.ca?.pathLength, true),
    new x509.KeyUsagesExtension(spec.keyUsage, true),
    new x509.SubjectKeyIdentifierExtension(subjectKeyId),
    new x509.AuthorityKeyIdentifierExtension(signer ? signer.keyId : subjectKeyId),
  ];
  if (spec.extendedKeyUsage?.length) {
    extensions.push(new x509.ExtendedKeyUsageExtension(spec.extendedKeyUsage.map((u) => EKU_OIDS[u])));
  }
  if (spec.subjectAltNames?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        spec.subjectAltNames.map((s) => ({ type: SAN_TYPE[s.type], value: s.value })),
      ),
    );
  }
  const subject = toName(spec.subject);
  return x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(newSerial(spec.random ?? nodeRandomBytes)).toString("hex"),
    subject,
    // The issuer's subject exactly as encoded in its certificate, so name matching in path building holds.
    issuer: signer ? signer.cert.subjectName : subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey,
    signingKey: "self" in spec.issuer ? spec.issuer.self : spec.issuer.key,
    signingAlgorithm: EC_P256,
    extensions,
  });
}

/** The certificate as PEM, ending in a newline. */
export function pemOf(cert: x509.X509Certificate): string {
  const pem = cert.toString("pem").replace(/\r\n/g, "\n");
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** `notAfter` clamped to the issuer's own end, so no certificate outlives the CA that vouches for it. */
export function clampToIssuer(notAfter: Date, issuer: LoadedSigner | undefined): Date {
  if (!issuer) return notAfter;
  const end = issuer.cert.notAfter;
  return notAfter.getTime() > end.getTime() ? end : notAfter;
}
