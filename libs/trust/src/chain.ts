import type { X509Certificate } from "node:crypto";
import { basicConstraints, keyUsageFlags, KU_KEY_CERT_SIGN } from "./der.js";
import { CertificateRefusedError, type ChainRefusalReason } from "./errors.js";
import { formatIdentity, identityOfCertificate, type Identity, type IdentityMatcher } from "./identity.js";
import { EKU_OIDS } from "./profile.js";

/** A certificate's validity as dates (Node 20's `X509Certificate` gives strings). */
export function validityOf(cert: X509Certificate): { readonly from: Date; readonly to: Date } {
  return { from: new Date(Date.parse(cert.validFrom)), to: new Date(Date.parse(cert.validTo)) };
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** What the peer presented: its certificate first, then any intermediates, in any order. */
  readonly presented: readonly X509Certificate[];
  /** The trust bundle: the roots (during a rotation, old and new). */
  readonly trust: readonly X509Certificate[];
  /** When to check validity (the caller's clock). */
  readonly at: Date;
  /** The identity must be of this cluster. */
  readonly clusterId?: string;
  /** The leaf's EKU must allow this use: "client" for callers, "server" for servers. */
  readonly purpose?: "client" | "server";
  /** The identity must match. */
  readonly expect?: IdentityMatcher;
}

/** A verified chain: who it names, and the path from the leaf to the anchor. */
export interface VerifiedChain {
  readonly ok: true;
  readonly identity: Identity;
  readonly leaf: X509Certificate;
  /** Leaf first, anchor last. */
  readonly path: readonly X509Certificate[];
  readonly anchor: X509Certificate;
}

/** A refused chain: why, and a message naming the certificate. */
export interface RefusedChain {
  readonly ok: false;
  readonly reason: ChainRefusalReason;
  readonly message: string;
}

/** Longest path accepted, leaf and anchor included (root, one intermediate or cross-certificate, leaf, and one spare). */
const MAX_PATH = 4;

const nameOf = (c: X509Certificate) => c.subject.replace(/\n/g, ", ");

/** Why `cert` cannot be used at `at`, or undefined. */
function timeProblem(cert: X509Certificate, at: Date): RefusedChain | undefined {
  const { from, to } = validityOf(cert);
  if (at < from) return refuse("not-yet-valid", `${nameOf(cert)} is valid only from ${from.toISOString()}`);
  if (at > to) return refuse("expired", `${nameOf(cert)} expired at ${to.toISOString()}`);
  return undefined;
}

/** Why `ca` cannot issue with `below` intermediates under it, or undefined. */
function caProblem(ca: X509Certificate, below: number): RefusedChain | undefined {
  const bc = basicConstraints(ca.raw);
  const ku = keyUsageFlags(ca.raw);
  if (!ca.ca || !bc?.ca || (ku !== undefined && !(ku & KU_KEY_CERT_SIGN))) {
    return refuse("not-a-ca", `${nameOf(ca)} signed a certificate but is not a CA`);
  }
  if (bc.pathLength !== undefined && below > bc.pathLength) {
    return refuse(
      "path-too-long",
      `${nameOf(ca)} allows ${bc.pathLength} intermediate(s) below it, the chain has ${below}`,
    );
  }
  return undefined;
}

function refuse(reason: ChainRefusalReason, message: string): RefusedChain {
  return { ok: false, reason, message };
}

/** Whether `issuer` issued `cert`: names match and the signature verifies with its key. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  return issuer.subject === cert.issuer && cert.verify(issuer.publicKey);
}

/**
 * Verifies a presented chain against a trust bundle with Node's `X509Certificate`, for the places where Node's
 * TLS does not verify for us (the API accepts callers without certificates, so it checks the one presented
 * itself). Checks, in order: validity at `at` of every certificate used, that the leaf is not a CA and allows
 * `purpose`, a path of signatures to an anchor of `trust` through CA certificates within their path lengths,
 * then the leaf's Shoal identity, its cluster and `expect`. Returns the identity, or the reason for refusal.
 */
export function verifyChain(opts: VerifyChainOptions): VerifiedChain | RefusedChain {
  const [leaf, ...rest] = opts.presented;
  if (!leaf) return refuse("empty", "no certificate was presented");
  const bad = timeProblem(leaf, opts.at);
  if (bad) return bad;
  if (leaf.ca) return refuse("not-a-leaf", `${nameOf(leaf)} is a CA certificate, not a client or server's`);
  if (opts.purpose) {
    const oid = opts.purpose === "client" ? EKU_OIDS.clientAuth : EKU_OIDS.serverAuth;
    if (!leaf.keyUsage?.includes(oid)) return refuse("wrong-purpose", `${nameOf(leaf)} is not for ${opts.purpose} use`);
  }
  const path: X509Certificate[] = [leaf];
  const unused = [...rest];
  let anchor: X509Certificate | undefined;
  while (!anchor) {
    const current = path[path.length - 1]!;
    const below = path.length - 1; // intermediates under the next issuer
    const root = opts.trust.find((t) => issued(t, current));
    const next = root ?? unused.find((c) => issued(c, current));
    if (!next) {
      return refuse(
        "unknown-issuer",
        `${nameOf(current)} was issued by ${current.issuer.replace(/\n/g, ", ")}, which the cluster does not trust`,
      );
    }
    const problem = caProblem(next, below) ?? timeProblem(next, opts.at);
    if (problem) return problem;
    path.push(next);
    if (root) anchor = root;
    else unused.splice(unused.indexOf(next), 1);
    if (path.length > MAX_PATH) return refuse("path-too-long", `the chain is longer than ${MAX_PATH} certificates`);
  }
  const identity = identityOfCertificate(leaf);
  if (!identity) return refuse("no-identity", `${nameOf(leaf)} names no Shoal identity (URI SAN shoal://...)`);
  if (opts.clusterId !== undefined && identity.clusterId !== opts.clusterId) {
    return refuse(
      "wrong-cluster",
      `${formatIdentity(identity)} is of cluster ${identity.clusterId}, not ${opts.clusterId}`,
    );
  }
  if (opts.expect && !opts.expect.matches(identity)) {
    return refuse("wrong-identity", `${formatIdentity(identity)} is not ${opts.expect.description}`);
  }
  return { ok: true, identity, leaf, path, anchor };
}

/** {@link verifyChain}, throwing a CertificateRefusedError (code SHOAL_ERR_CERT_REFUSED) on refusal. */
export function assertChain(opts: VerifyChainOptions): VerifiedChain {
  const r = verifyChain(opts);
  if (!r.ok) throw new CertificateRefusedError(r.reason, r.message);
  return r;
}
