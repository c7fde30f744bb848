import { createPrivateKey, type X509Certificate } from "node:crypto";
import type { Server as HttpsServer, ServerOptions } from "node:https";
import type { Server as TlsServer } from "node:tls";
import Fastify, { type FastifyInstance } from "fastify";
import { createTlsFetch, type TlsFetch } from "@shoal/api/node";
import {
  anyManagerOf,
  formatIdentity,
  identityOfCertificate,
  joinPem,
  parseCertificates,
  serverTlsOptions,
} from "@shoal/trust";
import { ManagerError } from "../errors.js";
import { managerNames } from "../auth/origin.js";
import type { CallerTrust } from "./caller.js";

/**
 * The manager API over HTTPS (docs/design/trust.md §4.7): the manager's certificate chain, client certificates
 * asked for but not required (the public routes take callers without one; the caller hook checks those given),
 * TLS 1.3, certificates and trust swapped without a restart, and writes forwarded to the leader over TLS with
 * this manager's certificate.
 */

/** The TLS material of a manager's API. */
export interface ApiTls {
  /**
   * The manager certificate's chain, leaf first (PEM blocks). The trust bundle's roots are presented after it
   * (added when missing), so a joining node's CA-digest probe finds the root its token pins.
   */
  readonly chain: readonly string[];
  /** The private key of the chain's leaf (PEM). */
  readonly key: string;
  /** The trust bundle: the cluster's roots (PEM blocks; during a rotation, old and new). */
  readonly trust: readonly string[];
}

/** TLS material checked and parsed: what callers are verified against, and the material itself. */
export interface LoadedApiTls extends CallerTrust {
  readonly tls: ApiTls;
  /** The names the manager's certificate serves (DNS and IP), with loopback: where browsers may reach it. */
  readonly names: ReadonlySet<string>;
}

const invalid = (message: string, cause?: unknown) =>
  new ManagerError("SHOAL_ERR_INVALID_ARGUMENT", `api: ${message}`, {
    hint: "give the manager certificate's chain and key and the cluster's trust bundle, as the node's certificates directory holds them",
    ...(cause === undefined ? {} : { cause }),
  });

/**
 * Checks and parses the API's TLS material: the chain must start with a manager certificate (its cluster is
 * the one callers must belong to) and the trust bundle must hold at least one certificate. Throws a ManagerError
 * (SHOAL_ERR_INVALID_ARGUMENT) naming the field that is wrong.
 */
export function loadApiTls(tls: ApiTls): LoadedApiTls {
  const parse = (field: string, blocks: readonly string[]): X509Certificate[] => {
    try {
      const certs = parseCertificates(blocks);
      if (certs.length === 0) throw invalid(`tls.${field} holds no PEM certificate`);
      return certs;
    } catch (e) {
      throw e instanceof ManagerError ? e : invalid(`tls.${field} holds a certificate that cannot be read`, e);
    }
  };
  const leaf = parse("chain", tls.chain)[0]!;
  const roots = parse("trust", tls.trust);
  const identity = identityOfCertificate(leaf);
  if (identity?.kind !== "manager")
    throw invalid(
      `tls.chain must start with a manager certificate (shoal://<cluster>/node/<node>/manager), not ${identity ? formatIdentity(identity) : "a certificate naming no Shoal identity"}`,
    );
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(tls.key));
  } catch (e) {
    throw invalid("tls.key holds no PEM private key that can be read", e);
  }
  if (!matches)
    throw invalid(`tls.key is not the key of the certificate of ${formatIdentity(identity)} (tls.chain[0])`);
  return { tls, roots, clusterId: identity.clusterId, names: managerNames(leaf.subjectAltName) };
}

/** The `https` options of the API's server: TLS 1.3, the chain (then the roots), client certificates requested. */
export function apiHttpsOptions(tls: ApiTls): ServerOptions {
  return serverTlsOptions({ chain: tls.chain, key: tls.key, trust: tls.trust, clientCertificates: "request" });
}

/**
 * A `fetch` for forwarding to the leader: TLS 1.3 presenting this manager's chain and key, trusting the bundle
 * only, accepting any manager of `clusterId` as the server (the leader changes). Close it when done.
 */
export function managerForwardFetch(tls: ApiTls, clusterId: string): TlsFetch {
  return createTlsFetch({
    trust: joinPem(tls.trust),
    cert: joinPem(tls.chain),
    key: tls.key,
    expect: anyManagerOf(clusterId),
  });
}

/**
 * The TLS state of one API server: the material in use, the trust callers are checked against, and the fetch
 * that forwards to the leader (made on first use, made again after a swap). {@link updateTls} swaps it.
 */
export class ApiTlsState {
  private loaded: LoadedApiTls;
  private forwarder: TlsFetch | undefined;
  private closed = false;

  constructor(tls: ApiTls) {
    this.loaded = loadApiTls(tls);
  }

  /** The material in use. */
  get tls(): ApiTls {
    return this.loaded.tls;
  }

  /** The names of the certificate in use, with loopback (`auth/origin.ts`). */
  get names(): ReadonlySet<string> {
    return this.loaded.names;
  }

  /** What callers' certificates are checked against now. */
  get trust(): CallerTrust {
    return this.loaded;
  }

  /** Forwards with the current certificate (a stable function: a swap takes effect on the next call). */
  readonly forwardFetch: typeof fetch = (input, init) => {
    if (this.closed)
      return Promise.reject(new TypeError("fetch failed", { cause: new Error("the API server closed") }));
    this.forwarder ??= managerForwardFetch(this.loaded.tls, this.loaded.clusterId);
    return this.forwarder.fetch(input, init);
  };

  /** Takes new material (already checked); the old forwarding connections close once their requests finish. */
  swap(next: LoadedApiTls): void {
    this.loaded = next;
    const old = this.forwarder;
    this.forwarder = undefined;
    void old?.close();
  }

  /** Closes the forwarding connections (pending requests finish first). */
  async close(): Promise<void> {
    this.closed = true;
    const old = this.forwarder;
    this.forwarder = undefined;
    await old?.close();
  }
}

/** The API app's fastify options that do not depend on its server's type (HTTP or HTTPS). */
export interface ApiAppOptions {
  readonly logger: false;
  readonly bodyLimit: number;
  readonly forceCloseConnections: boolean;
}

const states = new WeakMap<FastifyInstance, ApiTlsState>();

/**
 * A fastify app with `options`, served over HTTPS with `tls` when given (see {@link apiHttpsOptions}), else
 * plain HTTP. The TLS state closes with the app.
 */
export function createApiApp(options: ApiAppOptions, tls: ApiTlsState | undefined): FastifyInstance {
  if (!tls) return Fastify(options);
  // fastify types an HTTPS app by its server; the API's code uses only what HTTP and HTTPS apps share.
  const app = Fastify<HttpsServer>({ ...options, https: apiHttpsOptions(tls.tls) }) as unknown as FastifyInstance;
  states.set(app, tls);
  app.addHook("onClose", () => tls.close());
  return app;
}

/**
 * Swaps the certificate chain, key and trust bundle of an API server built with `tls` (renewal, root rotation):
 * new connections get the new chain, every request from now on is checked against the new trust, and
 * forwarding presents the new certificate. Connections already open keep the chain they were given. Throws a
 * ManagerError (SHOAL_ERR_INVALID_ARGUMENT) for bad material, leaving the old in place, and SHOAL_ERR_INTERNAL
 * for an app built without TLS.
 */
export function updateTls(app: FastifyInstance, tls: ApiTls): void {
  const state = states.get(app);
  if (!state)
    throw new ManagerError(
      "SHOAL_ERR_INTERNAL",
      "api: cannot swap the certificates of an API server built without tls (it serves plain HTTP)",
    );
  const loaded = loadApiTls(tls);
  (app.server as unknown as TlsServer).setSecureContext(apiHttpsOptions(tls));
  state.swap(loaded);
}

/** The TLS state of an app made by {@link createApiApp}, or undefined for a plain HTTP one. */
export function tlsStateOf(app: FastifyInstance): ApiTlsState | undefined {
  return states.get(app);
}
