import { API_ERRORS } from "./errors.js";

/**
 * Which TLS failures a fetch reports, and the error the client raises for them. Browser-safe (no Node import):
 * it reads the `code` fields of an error's cause chain, as Node's TLS and undici set them. A browser's fetch
 * says only "Failed to fetch", so there a TLS failure stays an unreachable manager.
 */

/** What went wrong in a TLS handshake with a manager. */
export type TlsProblem =
  /** The manager's certificate is valid but names someone else (an agent, another cluster's manager). */
  | "identity"
  /** Its certificate does not chain to a root of the trust bundle (another CA, a self-signed certificate). */
  | "untrusted"
  /** Its certificate has expired or is not yet valid. */
  | "validity"
  /** The manager refused this client's certificate, or asked for one and got none. */
  | "client-refused"
  /** No TLS 1.3 handshake at all (plain HTTP at that port, an older TLS version). */
  | "protocol";

/** A TLS failure found in a fetch error: the problem, the code that told it, and what it was in words. */
export interface TlsFailure {
  readonly problem: TlsProblem;
  /** The code found (`CERT_HAS_EXPIRED`, `SHOAL_ERR_PEER_IDENTITY`, `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`). */
  readonly code: string;
  /** What was wrong, about the manager ("its certificate has expired"), for messages. */
  readonly detail: string;
}

/** Status of SHOAL_ERR_PEER_IDENTITY as `@shoal/trust` registers it (that package is Node-only). */
export const PEER_IDENTITY_STATUS = 502;

/** OpenSSL's certificate verification results, as Node names them (`socket.authorizationError`). */
const CHAIN_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
]);
/** A TLS alert from the server about this client's certificate. */
const CLIENT_REFUSED =
  /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:CERTIFICATE_\w+|BAD_CERTIFICATE|UNKNOWN_CA|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE)$/;

interface CodedError {
  code?: unknown;
  message?: unknown;
  reason?: unknown;
  expected?: unknown;
  presented?: unknown;
  cause?: unknown;
}

/**
 * The TLS failure in `err` or its causes (`fetch failed` -> the socket's error), or undefined when it is not
 * one (a refused connection, a timeout). Decides from `code` fields only; messages go into `detail`.
 */
export function classifyTlsFailure(err: unknown): TlsFailure | undefined {
  const seen = new Set<unknown>();
  for (let e = err; typeof e === "object" && e !== null && !seen.has(e); e = (e as CodedError).cause) {
    seen.add(e);
    const found = classifyOne(e);
    if (found) return found;
  }
  return undefined;
}

function classifyOne(e: CodedError): TlsFailure | undefined {
  const code = typeof e.code === "string" ? e.code : "";
  if (!code) return undefined;
  // OpenSSL errors carry a short `reason`; their message repeats the library's whole error line.
  const reason = typeof e.reason === "string" ? e.reason : typeof e.message === "string" ? e.message : code;
  if (code === "SHOAL_ERR_PEER_IDENTITY") {
    const presented = typeof e.presented === "string" ? e.presented : "no Shoal identity";
    const expected = typeof e.expected === "string" ? e.expected : "another identity";
    return { problem: "identity", code, detail: `its certificate names ${presented}, expected ${expected}` };
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return { problem: "identity", code, detail: `its certificate is not valid for that address (${reason})` };
  if (code === "CERT_HAS_EXPIRED") return { problem: "validity", code, detail: "its certificate has expired" };
  if (code === "CERT_NOT_YET_VALID") return { problem: "validity", code, detail: "its certificate is not yet valid" };
  if (CHAIN_CODES.has(code))
    return {
      problem: "untrusted",
      code,
      detail: `its certificate does not chain to a root of the trust bundle (${code}: ${reason})`,
    };
  if (code === "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
    return { problem: "client-refused", code, detail: "it requires a client certificate and none was given" };
  if (CLIENT_REFUSED.test(code))
    return { problem: "client-refused", code, detail: `it refused this client's certificate (${reason})` };
  if (code.startsWith("ERR_SSL_") || code === "ERR_TLS_INVALID_PROTOCOL_VERSION")
    return {
      problem: "protocol",
      code,
      detail: `no TLS 1.3 handshake with it (${code}: ${reason}); is it a Shoal manager's HTTPS API?`,
    };
  return undefined;
}

const HINTS: Record<TlsProblem, string> = {
  identity:
    "check the address: it reaches a Shoal process other than a manager of the expected cluster (an agent, another cluster's manager)",
  untrusted:
    "check the address and the trust bundle (ca): the bundle must hold the root of the cluster the managers belong to",
  validity: "check the clocks of this machine and of the manager; a manager whose certificate expired needs a new one",
  "client-refused": "give a certificate and key that the cluster issued (the admin bundle's cert and key)",
  protocol: "check that the address is a Shoal manager's API port and that it serves HTTPS",
};

/** The error a client raises when no manager answered and at least one failed its TLS handshake. */
export interface TlsFailureError {
  /** SHOAL_ERR_PEER_IDENTITY when every TLS failure was a wrong identity, else SHOAL_ERR_TLS. */
  readonly code: "SHOAL_ERR_PEER_IDENTITY" | "SHOAL_ERR_TLS";
  readonly status: number;
  readonly message: string;
  readonly hint: string;
}

/**
 * Describes TLS failures at the managers tried (`base` -> failure), with the managers that could not be
 * reached at all (`base` -> cause), as one error naming each manager and what was wrong with it.
 */
export function tlsFailureError(
  failures: ReadonlyMap<string, TlsFailure>,
  unreachable: ReadonlyMap<string, string>,
): TlsFailureError {
  const all = [...failures.values()];
  const code = all.every((f) => f.problem === "identity") ? "SHOAL_ERR_PEER_IDENTITY" : "SHOAL_ERR_TLS";
  const status = code === "SHOAL_ERR_TLS" ? API_ERRORS.SHOAL_ERR_TLS.status : PEER_IDENTITY_STATUS;
  const parts = [
    ...[...failures].map(([base, f]) => `${base}: ${f.detail}`),
    ...[...unreachable].map(([base, cause]) => `${base}: unreachable (${cause})`),
  ];
  const [only] = failures.keys();
  const message =
    parts.length === 1 && only !== undefined
      ? `client: TLS with the manager at ${only} failed: ${(failures.get(only) as TlsFailure).detail}`
      : `client: no manager could be used over TLS: ${parts.join("; ")}`;
  const hint = [...new Set(all.map((f) => HINTS[f.problem]))].join("; ");
  return { code, status, message, hint };
}
