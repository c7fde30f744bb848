import type { FastifyReply, FastifyRequest } from "fastify";
import type { LoopLog } from "../log.js";
import { RateLimiter } from "../auth/rate-limit.js";
import { refuseIfLimited } from "./attempts.js";

/** Failed joins a source address may make per minute (docs/design/trust.md §4.6: public routes). */
export const JOIN_ATTEMPTS_PER_MINUTE = 10;

/**
 * The join's guard against token guessing: a source address whose joins were refused for their token
 * ({@link JOIN_ATTEMPTS_PER_MINUTE} a minute) gets 429 SHOAL_ERR_RATE_LIMITED with Retry-After until its bucket
 * refills. Only refusals spend (a node that joins right is never slowed down), counted on the manager the node
 * called, whether it answered itself or forwarded to the leader. Refusals are logged with the source address,
 * never the token.
 */
export class JoinLimit {
  private readonly failures: RateLimiter;

  constructor(private readonly o: { now: () => number; log: LoopLog }) {
    this.failures = new RateLimiter({ capacity: JOIN_ATTEMPTS_PER_MINUTE, periodMs: 60_000, now: o.now });
  }

  /** Runs the join `serve` for `req`: refused at once when its source failed too often; a 401 spends. */
  async guard(req: FastifyRequest, reply: FastifyReply, serve: () => Promise<FastifyReply>): Promise<FastifyReply> {
    const source = req.ip;
    refuseIfLimited(this.failures, source, reply, {
      log: this.o.log,
      logged: "join refused: too many failed attempts",
      message: (from) => `api: too many refused joins from ${from} (${JOIN_ATTEMPTS_PER_MINUTE} a minute at most)`,
      hint: (seconds) =>
        `wait ${seconds} s, then join with the token \`shoal cluster join-token worker|manager\` shows`,
    });
    const refused = () => {
      this.failures.spend(source);
      this.o.log.warn("join refused: the token is not valid", { source });
    };
    try {
      const sent = await serve();
      // A join forwarded to the leader comes back as a sent reply: its status says how it went.
      if (reply.statusCode === 401) refused();
      return sent;
    } catch (e) {
      if ((e as { status?: unknown }).status === 401) refused();
      throw e;
    }
  }
}
