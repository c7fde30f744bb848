import { readFile } from "node:fs/promises";
import {
  CertificateFilesError,
  clientTlsOptions,
  readCertificateFiles,
  splitPemCertificates,
  type IdentityMatcher,
} from "@shoal/trust";
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from "undici";
import { ValidationError } from "./errors.js";

/**
 * `@shoal/api/node`: the API client's HTTPS transport for Node processes (the CLI, agents, managers forwarding,
 * tests), kept out of the main entry because the dashboard bundles `@shoal/api` for the browser. Node's global
 * fetch takes no CA or client certificate, so this uses undici's own `fetch` with its own `Agent` (never a
 * dispatcher of another undici major with the global fetch: their interfaces differ).
 */

/** Options of {@link createTlsFetch}. */
export interface TlsFetchOptions {
  /** The trust bundle: the cluster's root certificates, PEM (one or more blocks). */
  readonly trust: string;
  /** This client's chain, leaf first, PEM; for mutual TLS, with `key`. */
  readonly cert?: string;
  /** The private key of `cert`, PEM. */
  readonly key?: string;
  /** Who the managers must be, e.g. `anyManagerOf(clusterId)`; the host name or address dialed does not count. */
  readonly expect: IdentityMatcher;
}

/** A `fetch` for `ShoalClient` over TLS, and the connections it keeps. */
export interface TlsFetch {
  /**
   * `fetch` of `string | URL` with a RequestInit (a `Request` of the global fetch is refused: it belongs to
   * another undici). A failed TLS handshake rejects with `fetch failed` whose cause carries Node's code
   * (`CERT_HAS_EXPIRED`, `SELF_SIGNED_CERT_IN_CHAIN`, `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`) or is the
   * `PeerIdentityError` (SHOAL_ERR_PEER_IDENTITY) of a manager naming another identity.
   */
  readonly fetch: typeof fetch;
  /** Closes the kept-alive connections; pending requests finish first. Call it when done, or the process waits. */
  close(): Promise<void>;
}

/** How many TLS alerts are kept for the fetch errors that lose them (see `createTlsFetch`). */
const ALERTS_KEPT = 32;

/**
 * Builds a `fetch` that speaks TLS 1.3 to the managers: it trusts the roots of `trust` only, presents `cert`
 * and `key` when given, and accepts a server by its Shoal identity (`expect`), whatever host or IP was dialed.
 * A refused server gets no byte of the request: the check runs inside the handshake.
 *
 * NB: in TLS 1.3 a server checks the client's certificate after the client's handshake is done. A refusal
 * sent as an alert (no certificate given) reaches the socket, but undici reports the close that follows
 * ("other side closed"); the alert is kept per socket and put back as the error's cause. A Node server that
 * refuses a certificate from an unknown CA just closes without an alert, so that case stays a closed
 * connection (SHOAL_ERR_UNREACHABLE in ShoalClient).
 */
export function createTlsFetch(o: TlsFetchOptions): TlsFetch {
  const trust = splitPemCertificates(o.trust);
  const chain = o.cert === undefined ? undefined : splitPemCertificates(o.cert);
  const issues = [
    ...(trust.length === 0 ? [{ field: "trust", message: "holds no PEM certificate" }] : []),
    ...(chain?.length === 0 ? [{ field: "cert", message: "holds no PEM certificate" }] : []),
    ...((o.cert === undefined) !== (o.key === undefined)
      ? [{ field: o.cert === undefined ? "cert" : "key", message: "a client certificate and its key go together" }]
      : []),
  ];
  if (issues.length > 0) throw new ValidationError("TLS fetch options", issues);
  const tls = clientTlsOptions({
    trust,
    expect: o.expect,
    ...(chain && o.key !== undefined ? { chain, key: o.key } : {}),
  });
  // clientTlsOptions sets no `timeout`; undici's type only wants null rather than undefined there.
  const connect = buildConnector(tls as buildConnector.BuildOptions);
  const alerts = new Map<string, Error>();
  const agent = new Agent({
    connect: (opts, callback) =>
      connect(opts, (...args) => {
        const socket = args[1];
        if (socket) {
          const key = socketKey(socket);
          socket.on("error", (e: Error & { code?: unknown }) => {
            if (typeof e.code !== "string" || !e.code.startsWith("ERR_SSL_")) return;
            alerts.set(key, e);
            for (const old of alerts.keys()) if (alerts.size > ALERTS_KEPT) alerts.delete(old);
          });
        }
        callback(...args);
      }),
  });
  const tlsFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof input !== "string" && !(input instanceof URL))
      throw new TypeError("node-fetch: pass a URL and a RequestInit, not a Request of the global fetch");
    try {
      // The global fetch's types are undici 6's; undici 7's RequestInit and Response have the shapes ShoalClient
      // uses (a string body, plain headers, an AbortSignal; status, headers, json, text, a web stream).
      const init7 = { ...init, dispatcher: agent } as UndiciRequestInit;
      return await undiciFetch(input, init7);
    } catch (e) {
      const alert = lostAlert(e, alerts);
      if (alert) throw new TypeError("fetch failed", { cause: alert });
      throw e;
    }
  };
  return { fetch: tlsFetch, close: () => agent.close() };
}

const socketKey = (s: { localAddress?: string | undefined; localPort?: number | undefined }) =>
  `${s.localAddress}:${s.localPort}`;

/** The TLS alert kept for the socket of a fetch error that reports only the close after it. */
function lostAlert(e: unknown, alerts: Map<string, Error>): Error | undefined {
  const cause = (e as { cause?: { code?: unknown; socket?: { localAddress?: string; localPort?: number } } }).cause;
  if (cause?.code !== "UND_ERR_SOCKET" || !cause.socket) return undefined;
  const key = socketKey(cause.socket);
  const alert = alerts.get(key);
  alerts.delete(key);
  return alert;
}

/** Paths of the files {@link readTlsFetchOptions} reads. */
export interface TlsFetchFiles {
  /** The trust bundle (the admin bundle's `ca.pem`, or a node's `certificates/trust.pem`). */
  readonly ca: string;
  /** This client's chain (`cert.pem`) and key (`key.pem`), for mutual TLS; both or neither. */
  readonly cert?: string;
  readonly key?: string;
  readonly expect: IdentityMatcher;
}

/**
 * Reads the options of {@link createTlsFetch} from files. Throws CertificateFilesError (SHOAL_ERR_CERT_FILES)
 * naming the file that is missing, unreadable or holds no certificate, or the key that does not belong to the
 * certificate. Like `readCertificateFiles`, it completes an interrupted certificate write (a key left in
 * `<key>.next`).
 */
export async function readTlsFetchOptions(files: TlsFetchFiles): Promise<TlsFetchOptions> {
  if ((files.cert === undefined) !== (files.key === undefined))
    throw new ValidationError("TLS files", [
      { field: files.cert === undefined ? "cert" : "key", message: "a client certificate and its key go together" },
    ]);
  let trust: string;
  try {
    trust = await readFile(files.ca, "utf8");
  } catch (err) {
    throw new CertificateFilesError(files.ca, "is missing or unreadable", { cause: err });
  }
  if (splitPemCertificates(trust).length === 0)
    throw new CertificateFilesError(files.ca, "holds no PEM certificate (a trust bundle is expected)");
  if (files.cert === undefined || files.key === undefined) return { trust, expect: files.expect };
  const loaded = await readCertificateFiles({ cert: files.cert, key: files.key });
  return { trust, cert: loaded.chain.join(""), key: loaded.key, expect: files.expect };
}
