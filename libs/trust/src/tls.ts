import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect, type ConnectionOptions, type PeerCertificate, type TLSSocket, type TlsOptions } from "node:tls";
import { CaMismatchError, PeerIdentityError, ProbeFailedError } from "./errors.js";
import {
  clusterIdOfRoot,
  formatIdentity,
  identityOfCertificate,
  identityOfPeer,
  type Identity,
  type IdentityMatcher,
} from "./identity.js";
import { joinPem, splitPemCertificates } from "./pem.js";
import { rootDigest } from "./token.js";

/**
 * Options for node:tls and node:https servers and clients (docs/design/trust.md §3.2, §4.7): TLS 1.3 only,
 * trust = the cluster's roots, and clients that check the server's Shoal identity instead of its host name.
 */

/** TLS 1.3 everywhere. */
export const TLS_MIN_VERSION = "TLSv1.3" as const;
/** How long a server waits for a handshake (Node's default is 120 s). */
export const HANDSHAKE_TIMEOUT_MS = 5_000;

/** Options of {@link serverTlsOptions}. */
export interface ServerTlsSettings {
  /** The server's chain, leaf first (PEM blocks). */
  readonly chain: readonly string[];
  readonly key: string;
  /** The trust bundle's roots (PEM blocks). */
  readonly trust: readonly string[];
  /**
   * Client certificates: "require" (mutual TLS: Raft, the bus; the handshake fails without one), "request" (the
   * API: asked for and checked by the caller, since the public routes take callers without one), "none".
   */
  readonly clientCertificates: "require" | "request" | "none";
  readonly handshakeTimeoutMs?: number;
}

/**
 * Options for `tls.createServer`/`https.createServer`. The server presents its chain followed by the trust
 * bundle's roots: a joining node finds the root its token pins in what the handshake presents (join step 2).
 */
export function serverTlsOptions(s: ServerTlsSettings): TlsOptions {
  const presented = [...s.chain];
  for (const root of s.trust) if (!presented.some((c) => sameBlock(c, root))) presented.push(root);
  return {
    cert: joinPem(presented),
    key: s.key,
    ca: joinPem(s.trust),
    minVersion: TLS_MIN_VERSION,
    requestCert: s.clientCertificates !== "none",
    rejectUnauthorized: s.clientCertificates === "require",
    handshakeTimeout: s.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
  };
}

const sameBlock = (a: string, b: string) => a.replace(/\s/g, "") === b.replace(/\s/g, "");

/** Options of {@link clientTlsOptions}. */
export interface ClientTlsSettings {
  /** The roots the server must chain to (PEM blocks). */
  readonly trust: readonly string[];
  /** Who the server must be. */
  readonly expect: IdentityMatcher;
  /** The client's own chain and key, for mutual TLS. */
  readonly chain?: readonly string[];
  readonly key?: string;
}

/**
 * Options for `tls.connect` (or an HTTPS agent): TLS 1.3, `ca` = the trust bundle, the client's certificate if
 * given, and a `checkServerIdentity` that accepts the server by its Shoal identity, whatever host name or
 * address was dialed. A refused server fails the connection with a PeerIdentityError (the socket's `error`).
 */
export function clientTlsOptions(s: ClientTlsSettings): ConnectionOptions {
  return {
    ca: joinPem(s.trust),
    minVersion: TLS_MIN_VERSION,
    rejectUnauthorized: true,
    checkServerIdentity: identityCheck(s.expect),
    ...(s.chain ? { cert: joinPem(s.chain) } : {}),
    ...(s.key ? { key: s.key } : {}),
  };
}

/**
 * A `checkServerIdentity` that accepts a server certificate whose Shoal identity `expect` matches, and otherwise
 * returns a PeerIdentityError naming the identity expected and the one presented. Node calls it only after the
 * chain verified against `ca`. It never throws (nats.js, for one, calls it where a throw is uncaught).
 */
export function identityCheck(expect: IdentityMatcher): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const identity = identityOfPeer(cert);
    if (identity && expect.matches(identity)) return undefined;
    return new PeerIdentityError(expect.description, identity && formatIdentity(identity), host);
  };
}

/** The Shoal identity of a TLS peer whose certificate Node verified (`socket.authorized`), else undefined. */
export function authorizedPeerIdentity(socket: TLSSocket): Identity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate();
  return cert && identityOfCertificate(cert);
}

/**
 * The certificates a TLS peer presented, leaf first, as Node links them (`getPeerCertificate(true)`: each
 * certificate's issuer found among those presented). NB: a presented certificate that issued none of the others
 * (a spare root after a cross-signed one) is not in the list; see `probeClusterAnchor`.
 */
export function presentedChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: PeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw;) {
    const key = c.raw.toString("base64");
    if (seen.has(key)) break;
    seen.add(key);
    out.push(new X509Certificate(c.raw));
    c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return out;
}

/** Options of {@link probeClusterAnchor}. */
export interface ProbeOptions {
  readonly host: string;
  readonly port: number;
  /** The CA digest of the join token (SHA-256 of the root's DER). */
  readonly caDigest: Uint8Array;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

/** What the probe found: the root whose digest the token names, and the cluster it names. */
export interface ProbedAnchor {
  readonly anchor: X509Certificate;
  /** The root's `O` (the cluster id), the identity to expect of its managers. */
  readonly clusterId: string | undefined;
  /** The anchor as PEM, to use as `ca` of the verified connection that follows. */
  readonly pem: string;
}

/**
 * Join step 2 (§4.5): opens TLS to `host:port` without verifying it, sends no application byte, reads the
 * chain the server presents, closes, and returns the certificate whose SHA-256 is the token's CA digest. Throws
 * CaMismatchError (SHOAL_ERR_CA_MISMATCH) when none is, and ProbeFailedError when the handshake does not happen;
 * in both cases the token never left this process. The caller then connects again with the anchor as `ca`.
 */
export function probeClusterAnchor(opts: ProbeOptions): Promise<ProbedAnchor> {
  const address = `${isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host}:${opts.port}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let done = false;
    const socket = connect({
      host: opts.host,
      port: opts.port,
      minVersion: TLS_MIN_VERSION,
      // Unverified on purpose: the pinned digest is the check, and nothing is sent before it passed.
      rejectUnauthorized: false,
      ...(isIP(opts.host) ? {} : { servername: opts.host }),
    });
    const finish = (err: Error | undefined, found?: ProbedAnchor) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // A clean close (close_notify, FIN) rather than a reset, so the server sees a finished handshake and an
      // orderly end; destroyed for good if the server does not answer the close within a second.
      socket.end();
      socket.setTimeout(1_000, () => socket.destroy());
      if (err) reject(err);
      else resolve(found!);
    };
    const timer = setTimeout(
      () => finish(new ProbeFailedError(address, `no TLS handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("secureConnect", () => {
      let chain: X509Certificate[];
      try {
        chain = presentedChain(socket);
      } catch (err) {
        finish(new ProbeFailedError(address, "it presented a certificate that cannot be read", { cause: err }));
        return;
      }
      const anchor = chain.find((c) => Buffer.from(rootDigest(c)).equals(Buffer.from(opts.caDigest)));
      if (!anchor) finish(new CaMismatchError(address, chain.length));
      else
        finish(undefined, {
          anchor,
          clusterId: clusterIdOfRoot(anchor),
          pem: splitPemCertificates(anchor.toString())[0] ?? anchor.toString(),
        });
    });
    socket.once("error", (err: Error) => finish(new ProbeFailedError(address, err.message, { cause: err })));
    socket.once("close", () =>
      finish(new ProbeFailedError(address, "the connection closed before the TLS handshake finished")),
    );
  });
}
