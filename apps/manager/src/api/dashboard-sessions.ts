import type { FastifyReply, FastifyRequest } from "fastify";
import type { SessionCreate } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import { ManagerError } from "../errors.js";
import type { LoopLog } from "../log.js";
import { checkBrowserRequest, type ManagerOrigin } from "../auth/origin.js";
import { RateLimiter } from "../auth/rate-limit.js";
import { refuseIfLimited } from "./attempts.js";
import { CLEAR_SESSION_COOKIE, sessionCookieOf, sessionSetCookie } from "../auth/session-cookie.js";
import { SESSION_TTL_MS, SessionStore } from "../auth/sessions.js";
import { userOfAccessToken } from "../auth/token-user.js";
import { callerBy, type Caller, type CallerHookOptions } from "./caller.js";

/**
 * The dashboard's sign-in on one manager (docs/design/trust.md §4.6): `POST /v1/session` trades a user's access
 * token for a session cookie, the caller hook turns that cookie into the user, every request the cookie
 * authenticates must come from the manager's own page, and `DELETE /v1/session` ends it. Sessions live in this
 * manager's memory (`auth/sessions.ts`): a page signs in on the manager that served it, and its writes go to the
 * leader forwarded for the user (`api/caller.ts`).
 */

/** Failed sign-ins allowed per source address and per minute (a token bucket, `auth/rate-limit.ts`). */
export const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;

/** What the sign-in routes need from their manager. */
export interface DashboardSessionsOptions {
  readonly store: { readonly state: StoreState };
  /** The cluster's id (the session caller's identity names it). */
  readonly clusterId: () => string;
  /** The scheme and names the manager is reached at (`auth/origin.ts`). */
  readonly origin: () => ManagerOrigin;
  readonly now: () => number;
  readonly log: LoopLog;
  /** `n` random bytes for cookie values (default node's CSPRNG). */
  readonly random?: (n: number) => Uint8Array;
}

/** Where a user finds its access token. */
const TOKEN_FILES =
  "the file <data-dir>/admin/access-token on the first manager (root's, written by `shoal cluster init`), or the one `shoal cluster user create` wrote";

/** The dashboard's sessions on this manager, and what the API does with them. */
export class DashboardSessions {
  private readonly sessions: SessionStore;
  private readonly failures: RateLimiter;

  constructor(private readonly o: DashboardSessionsOptions) {
    this.sessions = new SessionStore({ now: o.now, ...(o.random ? { random: o.random } : {}) });
    this.failures = new RateLimiter({ capacity: SIGN_IN_ATTEMPTS_PER_MINUTE, periodMs: 60_000, now: o.now });
  }

  /**
   * The caller resolution `inner` with session cookies added: a request `inner` finds anonymous (no client
   * certificate: a certificate wins over a cookie) that carries a session cookie is the session's user, or an
   * anonymous caller told why its session ended.
   */
  wrap(inner: CallerHookOptions | undefined): CallerHookOptions {
    return {
      resolve: (req) => {
        const caller = callerBy(inner, req);
        if (caller.kind !== "anonymous") return caller;
        const cookie = sessionCookieOf(req.headers.cookie);
        return cookie === undefined ? caller : this.callerOfCookie(cookie);
      },
    };
  }

  /** The caller a session cookie makes: the session's user while the session lives and the user keeps its token. */
  private callerOfCookie(cookie: string): Caller {
    const session = cookie === "" ? undefined : this.sessions.get(cookie);
    if (!session)
      return {
        kind: "anonymous",
        endedSession:
          "has expired or ended (a session lasts 12 hours, and ends at sign-out and when the manager restarts)",
      };
    const user = this.o.store.state.get("user", session.userId);
    if (user?.accessTokenHash !== session.accessTokenHash) {
      this.sessions.endUser(session.userId);
      return {
        kind: "anonymous",
        endedSession: user ? "ended: its user's access token was replaced" : "ended: its user was removed",
      };
    }
    return { kind: "session", identity: { kind: "user", clusterId: this.o.clusterId(), userId: session.userId } };
  }

  /**
   * Refuses (403 SHOAL_ERR_FORBIDDEN, saying why) a request the session cookie authenticates, or a sign-in, that
   * does not come from the manager's own page (`auth/origin.ts`); other callers pass.
   */
  checkOrigin(req: FastifyRequest, caller: Caller, signIn: boolean): void {
    if (caller.kind !== "session" && !signIn) return;
    const origin = req.headers.origin;
    const verdict = checkBrowserRequest(
      { method: req.method, host: req.headers.host, origin: typeof origin === "string" ? origin : undefined },
      this.o.origin(),
    );
    if (verdict.ok) return;
    this.o.log.warn("dashboard request refused: not from the dashboard's page", {
      source: req.ip,
      method: req.method,
      url: req.url,
      why: verdict.why,
    });
    throw new ManagerError("SHOAL_ERR_FORBIDDEN", `api: refused ${req.method} ${req.url}: ${verdict.why}`, {
      hint: "use the dashboard at https://<manager address>:<API port>/, with an address in the manager's certificate",
    });
  }

  /**
   * `POST /v1/session`: 429 once the source address failed too often, 401 for a token that is no user's (the
   * same answer whether or not such a user exists), else a new session and its cookie. A failure is logged with
   * the source address, never the token.
   */
  signIn(req: FastifyRequest, reply: FastifyReply, body: SessionCreate): FastifyReply {
    const source = req.ip;
    refuseIfLimited(this.failures, source, reply, {
      log: this.o.log,
      logged: "dashboard sign-in refused: too many failed attempts",
      message: (from) => `api: too many failed sign-ins from ${from} (${SIGN_IN_ATTEMPTS_PER_MINUTE} a minute at most)`,
      hint: (seconds) => `wait ${seconds} s, then sign in with the right access token (${TOKEN_FILES})`,
    });
    const user = userOfAccessToken(this.o.store.state.list("user"), body.accessToken);
    if (!user?.accessTokenHash) {
      this.failures.spend(source);
      this.o.log.warn("dashboard sign-in refused: no user has that access token", { source });
      throw new ManagerError("SHOAL_ERR_UNAUTHENTICATED", "api: the access token is not valid for this cluster", {
        hint: `give the access token in ${TOKEN_FILES}`,
      });
    }
    const { cookie } = this.sessions.open(user.id, user.accessTokenHash);
    this.o.log.info("dashboard session opened", { user: user.spec.name, source });
    return reply
      .status(204)
      .header("set-cookie", sessionSetCookie(cookie, SESSION_TTL_MS))
      .header("cache-control", "no-store")
      .send();
  }

  /** `DELETE /v1/session`: ends the session of the request's cookie (if any) and clears the cookie. */
  signOut(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const cookie = sessionCookieOf(req.headers.cookie);
    if (cookie) this.sessions.end(cookie);
    return reply.status(204).header("set-cookie", CLEAR_SESSION_COOKIE).header("cache-control", "no-store").send();
  }
}
