import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";

/**
 * The error codes of the cluster's PKI (besides the common ones), with their status, meaning and remedy. A user
 * meets them at join (`shoal cluster join`), in the manager's answers to certificate requests, and in the logs
 * of a daemon whose peer presented the wrong certificate.
 */
export const TRUST_ERRORS = errorRegistry({
  SHOAL_ERR_CSR_INVALID: {
    status: 400,
    meaning:
      "a certificate signing request was refused: not PEM or DER, larger than 4 KiB, its signature does not verify, or its key is not ECDSA P-256",
    action:
      "let Shoal make the key and request (`shoal cluster join`, `shoal cluster user create`); a request made by hand must use a P-256 key",
  },
  SHOAL_ERR_CERT_REFUSED: {
    status: 401,
    meaning:
      "a presented certificate chain was refused: expired or not yet valid, issued by a CA the cluster does not trust, a non-CA certificate used as an issuer, a path too long, no Shoal identity, or another cluster's identity; `reason` names which",
    action:
      "use the certificates this cluster issued (`<dataDir>/certificates`, or the admin bundle); an expired node certificate renews by itself, else join the node again",
  },
  SHOAL_ERR_PEER_IDENTITY: {
    status: 502,
    meaning:
      "a TLS peer's certificate is valid for the cluster but names another identity than the one expected (an agent where a manager was expected, or another node's manager)",
    action:
      "check the address: it reaches a Shoal process other than the one intended; the message names the identity expected and the one presented",
  },
  SHOAL_ERR_CA_MISMATCH: {
    status: 502,
    meaning:
      "the manager at the address given does not present the CA the join token names, so the token was not sent: the token belongs to another cluster, or something else answers at that address",
    action:
      "check the address, or get a join token of that cluster on one of its managers with `shoal cluster join-token worker|manager`",
  },
  SHOAL_ERR_BAD_IDENTITY: {
    status: 400,
    meaning:
      "a Shoal identity is malformed: it must read `shoal://<cluster>/node/<node>/agent|manager` or `shoal://<cluster>/user/<user>`",
    action: "fix the identity the message names; ids are letters, digits, `.`, `_` and `-`, at most 64 characters",
  },
  SHOAL_ERR_CERT_FILES: {
    status: 500,
    meaning: "a node's certificate files are missing, unreadable or malformed; the message names the file",
    action:
      "restore the file from a backup, or join the node again (`shoal cluster leave`, then `shoal cluster join`), which writes new ones",
  },
  SHOAL_ERR_CA_SIGNER: {
    status: 500,
    meaning:
      "the cluster CA cannot sign: its certificate is not a CA, has expired, or does not match its key (an imported external CA, or damaged CA material)",
    action:
      "rotate the CA (`shoal cluster ca --rotate`), giving a CA certificate and its key that match when importing an external CA",
  },
  SHOAL_ERR_INVALID_UNLOCK_KEY: {
    status: 400,
    meaning:
      "an unlock key is malformed: it must read `SHLKEY-1-<8 characters>-<50 characters>`, lower-case letters and digits",
    action:
      "give the whole key `shoal cluster init --autolock`, `shoal cluster update --autolock=true` or `shoal cluster unlock-key --rotate` printed",
  },
});

/**
 * Typed errors of the PKI core. Each has a stable `code`, the HTTP `status` an API maps it to, and `temporary`
 * when the same call may succeed later. Messages start with `trust:` or `join:`. Decide from the class and the
 * fields (`reason`, `problem`, `expected`), never from the text.
 */
export abstract class TrustError extends ShoalError {}

/** A CSR was refused; `problem` says what was wrong with it. */
export class CsrInvalidError extends TrustError {
  readonly code = "SHOAL_ERR_CSR_INVALID";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly problem: "encoding" | "size" | "signature" | "key",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`trust: certificate request refused: ${message}`, options);
  }
}

/** Why a presented chain was refused (see `verifyChain`). */
export type ChainRefusalReason =
  | "empty"
  | "not-yet-valid"
  | "expired"
  | "unknown-issuer"
  | "not-a-ca"
  | "path-too-long"
  | "not-a-leaf"
  | "wrong-purpose"
  | "no-identity"
  | "wrong-cluster"
  | "wrong-identity";

/** A presented certificate chain was refused; `reason` says why (the message names the certificate). */
export class CertificateRefusedError extends TrustError {
  readonly code = "SHOAL_ERR_CERT_REFUSED";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly reason: ChainRefusalReason,
    message: string,
  ) {
    super(`trust: certificate refused (${reason}): ${message}`);
  }
}

/** A TLS peer presented a valid certificate with the wrong identity. */
export class PeerIdentityError extends TrustError {
  readonly code = "SHOAL_ERR_PEER_IDENTITY";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    /** What was expected, in words ("any manager of cluster c1"). */
    readonly expected: string,
    /** The identity the peer presented, or undefined when its certificate names none. */
    readonly presented: string | undefined,
    host?: string,
  ) {
    super(
      `trust: ${host ? `the peer at ${host}` : "the peer"} is ${presented ?? "a certificate with no Shoal identity"}, ` +
        `expected ${expected}`,
    );
  }
}

/** The server at `address` presented no certificate whose digest the join token names. */
export class CaMismatchError extends TrustError {
  readonly code = "SHOAL_ERR_CA_MISMATCH";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly address: string,
    /** How many certificates the server presented. */
    readonly presented: number,
  ) {
    super(
      `join: the token does not belong to the cluster at ${address}: none of the ${presented} certificate(s) it ` +
        "presented is the CA the token names, so the token was not sent",
      {
        hint: `check the address, or run \`shoal cluster join-token worker\` (or \`manager\`) on a manager of the cluster at ${address} and join with that token`,
      },
    );
  }
}

/** A Shoal identity (URI) is malformed. */
export class BadIdentityError extends TrustError {
  readonly code = "SHOAL_ERR_BAD_IDENTITY";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly identity: string,
    message: string,
  ) {
    super(`trust: bad identity ${JSON.stringify(identity)}: ${message}`);
  }
}

/** A certificate file is missing, unreadable or malformed. */
export class CertificateFilesError extends TrustError {
  readonly code = "SHOAL_ERR_CERT_FILES";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`trust: ${file}: ${message}`, options);
  }
}

/** The CA material given to sign with is unusable. */
export class CaSignerError extends TrustError {
  readonly code = "SHOAL_ERR_CA_SIGNER";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(message: string, options?: { cause?: unknown }) {
    super(`trust: the CA cannot sign: ${message}`, options);
  }
}

/** What is wrong with a join token. */
export type TokenProblem = "prefix" | "version" | "shape" | "digest" | "secret";

/** A join token is malformed; `problem` names the part that is wrong. */
export class InvalidTokenError extends TrustError {
  readonly code = "SHOAL_ERR_INVALID_TOKEN";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly problem: TokenProblem,
    /** What is wrong, without the area prefix (`it must start with SHLTKN-`). */
    readonly detail: string,
  ) {
    super(`join: malformed join token: ${detail}`, {
      hint: "copy the whole token `shoal cluster init` or `shoal cluster join-token` printed (SHLTKN-1-<50 characters>-<25 characters>)",
    });
  }
}

/** An argument to a PKI function is out of range (a validity of zero, an empty id); `field` names it. */
export class TrustArgumentError extends TrustError {
  readonly code = "SHOAL_ERR_INVALID_ARGUMENT";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`trust: invalid ${field}: ${message}`);
  }
}

/** The server to probe at join could not be reached, or the handshake failed. */
export class ProbeFailedError extends TrustError {
  readonly code = "SHOAL_ERR_UNAVAILABLE";
  readonly status = COMMON_ERRORS[this.code].status;
  override readonly temporary = true;
  constructor(
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`join: cannot read the certificates of ${address}: ${message}`, {
      ...options,
      hint: "check the address and port (the manager's API port, 7070 by default) and that `shoal manager` runs there",
    });
  }
}

/** What is wrong with an unlock key. */
export type UnlockKeyProblem = "prefix" | "version" | "shape" | "id" | "secret";

/** An unlock key is malformed; `problem` names the part that is wrong. The key itself is never in the message. */
export class InvalidUnlockKeyError extends TrustError {
  readonly code = "SHOAL_ERR_INVALID_UNLOCK_KEY";
  readonly status = TRUST_ERRORS[this.code].status;
  constructor(
    readonly problem: UnlockKeyProblem,
    /** What is wrong, without the area prefix. */
    readonly detail: string,
  ) {
    super(`trust: malformed unlock key: ${detail}`, {
      hint: "give the whole key Shoal printed when autolock was turned on or the key was rotated (SHLKEY-1-<8 characters>-<50 characters>)",
    });
  }
}
