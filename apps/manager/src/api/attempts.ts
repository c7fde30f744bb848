import type { FastifyReply } from "fastify";
import type { RateLimiter } from "../auth/rate-limit.js";
import { ManagerError } from "../errors.js";
import type { LoopLog } from "../log.js";

/** How a route whose failures are limited words its refusal. */
export interface AttemptsRefusal {
  readonly log: LoopLog;
  /** The log line of a refusal (the source address is added; never the credential). */
  readonly logged: string;
  /** The error's message, for `source`. */
  readonly message: (source: string) => string;
  /** The error's hint, once the caller may try again in `seconds`. */
  readonly hint: (seconds: number) => string;
}

/**
 * Throws 429 SHOAL_ERR_RATE_LIMITED, with a Retry-After header on `reply`, when `source` has no attempt left in
 * `failures` (a public route's failed attempts: sign-ins, joins).
 */
export function refuseIfLimited(failures: RateLimiter, source: string, reply: FastifyReply, o: AttemptsRefusal): void {
  const allowed = failures.check(source);
  if (allowed.ok) return;
  const seconds = Math.ceil(allowed.retryAfterMs / 1000);
  o.log.warn(o.logged, { source });
  void reply.header("retry-after", String(seconds));
  throw new ManagerError("SHOAL_ERR_RATE_LIMITED", o.message(source), { hint: o.hint(seconds) });
}
