import type { z } from "zod";
// The errors module alone: this package is also bundled into the browser dashboard.
import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common/errors";

/**
 * The error codes the API client raises itself, without an answer from a server (besides the common ones),
 * with the status its ApiError carries, the meaning and the remedy. The CLI's calls to the local agent raise
 * them too.
 */
export const API_ERRORS = errorRegistry({
  SHOAL_ERR_UNREACHABLE: {
    status: 503,
    meaning:
      "no manager answered at any address tried (or, for `shoal image` and `cluster leave`, the node's local agent socket did not)",
    action:
      "check that `shoal manager` runs there, start a cluster with `shoal cluster init`, or pass --host; for the local agent, check that `shoal agent` runs on this node or pass --run-dir",
  },
  SHOAL_ERR_ABORTED: {
    status: 499,
    meaning:
      "the caller cancelled the request (Ctrl-C, a page closed) before an answer came; a write may or may not have been applied",
    action: "check with an `inspect` or `ls` command before sending it again",
  },
  SHOAL_ERR_TLS: {
    status: 502,
    meaning:
      "no manager answered and the TLS handshake failed with at least one of them: its certificate does not chain to the trust bundle, has expired or is not yet valid, it refused this client's certificate (or got none), or it does not speak TLS 1.3; nothing was sent to it. The message names each manager and what was wrong (a manager presenting another identity alone gives SHOAL_ERR_PEER_IDENTITY)",
    action:
      "check the address, the trust bundle and client certificate given (the admin bundle), and the clocks; the hint says which applies",
  },
  SHOAL_ERR_HTTP: {
    status: null,
    meaning:
      "a server answered with an HTTP error that is not a Shoal error body (another program on that port, a proxy in between); the error keeps the status received and the message quotes the body",
    action: "check that --host points at a Shoal manager's API port (the message shows what answered)",
  },
});

/** One thing wrong with a request: the dotted path of the field and what to do about it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** A request or object failed validation. `issues` name every wrong field; HTTP 400. */
export class ValidationError extends ShoalError {
  readonly code = "SHOAL_ERR_INVALID_ARGUMENT";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly what: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`api: invalid ${what}: ${issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ")}`);
  }
}

/** Parses `value` with `schema`, or throws ValidationError naming each wrong field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(
    what,
    r.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })),
  );
}
