import type { X509Certificate } from "node:crypto";
import { TLSSocket } from "node:tls";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { formatIdentity, parseIdentity, presentedChain, verifyChain, type Identity } from "@shoal/trust";
import type { StoreState } from "@shoal/store";
import { UnauthenticatedError, type CallerRefusalReason } from "../errors.js";
import { ANONYMOUS, type Caller } from "../auth/caller.js";

export { ANONYMOUS, describeCaller, type Caller } from "../auth/caller.js";

/** What a client certificate is checked against: the trust bundle's roots and the cluster it must belong to. */
export interface CallerTrust {
  readonly roots: readonly X509Certificate[];
  readonly clusterId: string;
}

/** How a refusal reads: what is wrong with the certificate, completing "the client certificate ...". */
const REFUSALS: Record<CallerRefusalReason, string> = {
  expired: "has expired",
  "not-yet-valid": "is not valid yet",
  "unknown-issuer": "was not issued by this cluster's CA",
  "not-a-ca": "chains through a certificate that is not a CA",
  "path-too-long": "has a longer chain than the cluster's CA allows",
  "not-a-leaf": "is a CA certificate, not a client's",
  "wrong-purpose": "is not for client use (its extended key usage lacks clientAuth)",
  "no-identity": "names no Shoal identity",
  "wrong-cluster": "names an identity of another cluster",
  "wrong-identity": "names an identity this manager does not accept",
  empty: "is missing",
  unreadable: "cannot be read",
};

const CLOCK_HINT =
  "check the clocks of this machine and the manager's; an expired node certificate renews by itself, else join the node again";
const ISSUER_HINT =
  "present a certificate this cluster issued (the admin bundle's cert.pem and key.pem, or the node's certificates), or none for the public routes";

/** The 401 for a refused client certificate, naming what is wrong with it and how to get a usable one. */
export function callerRefusal(reason: CallerRefusalReason, detail: string, cause?: unknown): UnauthenticatedError {
  const hint = reason === "expired" || reason === "not-yet-valid" ? CLOCK_HINT : ISSUER_HINT;
  return new UnauthenticatedError(reason, `api: the client certificate ${REFUSALS[reason]} (${detail})`, {
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The caller a presented chain (leaf first, as the TLS peer sent it) makes at time `at`: anonymous when nothing
 * was presented, else the leaf's identity once the chain verified against `trust` for client use. Throws an
 * UnauthenticatedError (401 SHOAL_ERR_UNAUTHENTICATED) naming why a certificate is refused: a caller that
 * presents a bad certificate is refused, not demoted to anonymous.
 */
export function resolveCaller(presented: readonly X509Certificate[], trust: CallerTrust, at: Date): Caller {
  if (presented.length === 0) return ANONYMOUS;
  const r = verifyChain({ presented, trust: trust.roots, at, clusterId: trust.clusterId, purpose: "client" });
  if (!r.ok) throw callerRefusal(r.reason, r.message);
  return { kind: "certificate", identity: r.identity, certificate: r.leaf };
}

/** The caller of a TLS socket (see {@link resolveCaller}); anonymous for any other socket. */
export function callerOfSocket(socket: unknown, trust: CallerTrust, at: Date): Caller {
  if (!(socket instanceof TLSSocket)) return ANONYMOUS;
  let presented: X509Certificate[];
  try {
    presented = presentedChain(socket);
  } catch (e) {
    throw callerRefusal("unreadable", (e as Error).message, e);
  }
  return resolveCaller(presented, trust, at);
}

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the caller hook (see `callerOf`); null before it ran. */
    shoalCaller: Caller | null;
  }
}

/**
 * Options of {@link registerCallerHook}: the trust a client certificate is checked against, or (`resolve`) a
 * function that says who calls (the local socket's server; tests that inject requests). Without them every
 * caller is anonymous.
 */
export type CallerHookOptions = TlsCallerOptions | { readonly resolve: (req: FastifyRequest) => Caller };

/** The caller of a TLS connection, from its client certificate. */
export interface TlsCallerOptions {
  /** The current trust (it changes when the certificates are swapped). */
  readonly trust: () => CallerTrust;
  /** The time now, in ms (the API's clock). */
  readonly now: () => number;
}

/**
 * Resolves the caller of every request in an `onRequest` hook, so before any body is read (§4.1, "nothing
 * before the handshake"), and attaches it to the request for `callerOf`. A refused certificate ends the request
 * there with 401 SHOAL_ERR_UNAUTHENTICATED. Register it before the routes.
 */
export function registerCallerHook(app: FastifyInstance, o?: CallerHookOptions): void {
  app.decorateRequest("shoalCaller", null);
  app.addHook("onRequest", (req, _reply, done) => {
    try {
      req.shoalCaller = callerBy(o, req);
      done();
    } catch (e) {
      done(e as Error);
    }
  });
}

/** The caller of `req` as `o` says (see {@link CallerHookOptions}); throws the 401 of a refused certificate. */
export function callerBy(o: CallerHookOptions | undefined, req: FastifyRequest): Caller {
  if (!o) return ANONYMOUS;
  return "resolve" in o ? o.resolve(req) : callerOfSocket(req.raw.socket, o.trust(), new Date(o.now()));
}

/** Who sent `req` (resolved by the caller hook); anonymous when the hook did not run. */
export function callerOf(req: FastifyRequest): Caller {
  return req.shoalCaller ?? ANONYMOUS;
}

/**
 * The header a follower forwarding a request names its caller in: the identity's URI, or {@link FORWARDED_LOCAL}
 * for root on the follower's node.
 */
export const FORWARDED_FOR = "x-shoal-forwarded-for";
/** The value of {@link FORWARDED_FOR} for a request that came through the forwarding manager's local socket. */
export const FORWARDED_LOCAL = "local";

/** The {@link FORWARDED_FOR} value for a caller, undefined for an anonymous one (it is forwarded naming nobody). */
export function forwardedFor(caller: Caller): string | undefined {
  if (caller.kind === "anonymous") return undefined;
  if (caller.kind === "local") return FORWARDED_LOCAL;
  return formatIdentity(caller.identity);
}

/**
 * Whether `req` was forwarded by a manager: it says so, and its TLS peer is the manager certificate of a node
 * whose role is manager now.
 */
export function forwardedByManager(req: FastifyRequest, store: { readonly state: StoreState }): boolean {
  const own = callerOf(req);
  return (
    own.kind === "certificate" &&
    own.identity.kind === "manager" &&
    !!req.headers["x-shoal-forwarded"] &&
    store.state.get("node", own.identity.nodeId)?.spec.role === "manager"
  );
}

/**
 * The caller a request is for: its own, or, when a follower forwarded it, the identity the follower names in
 * `x-shoal-forwarded-for`, believed only when the TLS peer is the manager certificate of a node whose role is
 * manager now (§4.6); a request such a manager forwards without naming anyone is anonymous, not the manager's.
 * From anyone else the header is ignored, so a caller cannot claim another identity.
 */
export function effectiveCaller(req: FastifyRequest, store: { readonly state: StoreState }): Caller {
  const own = callerOf(req);
  if (own.kind !== "certificate" || own.identity.kind === "user" || !forwardedByManager(req, store)) return own;
  // A manager forwarding: the request is its caller's, anonymous unless it names one (never the manager's own).
  const header = req.headers[FORWARDED_FOR];
  if (typeof header !== "string") return ANONYMOUS;
  if (header === FORWARDED_LOCAL) return { kind: "local", nodeId: own.identity.nodeId };
  let identity: Identity;
  try {
    identity = parseIdentity(header);
  } catch {
    return ANONYMOUS;
  }
  return identity.clusterId === own.identity.clusterId
    ? { kind: "certificate", identity, certificate: own.certificate, forwardedBy: own.identity.nodeId }
    : ANONYMOUS;
}
