import { createHash, randomBytes } from "node:crypto";

/**
 * The dashboard's sessions on one manager (docs/design/trust.md §4.6): a sign-in with a user's access token
 * opens one, and its cookie value (32 random bytes, base64url) authenticates the page's requests until it
 * expires (12 h after sign-in), the page signs out, or the manager restarts (sessions live in memory only, so
 * a page signs in on the manager that served it). Only the SHA-256 of a cookie is kept, so this map cannot be
 * used to forge one. Pure but for the random source and the clock, both injected.
 */

/** How long a session lasts after sign-in: 12 hours, the cookie's `Max-Age`. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Sessions kept at most per manager: past it the oldest is dropped (a bound on memory, not a security limit). */
export const MAX_SESSIONS = 10_000;

/** One open session: whose it is, the hash of the access token it was opened with, and when it ends. */
export interface Session {
  readonly userId: string;
  /** The user's `accessTokenHash` at sign-in: a session ends when the user's token is no longer that one. */
  readonly accessTokenHash: string;
  /** When it ends (ms since the epoch). */
  readonly expiresAt: number;
}

/** What {@link SessionStore} is made with. */
export interface SessionStoreOptions {
  /** The time now, in ms. */
  readonly now: () => number;
  /** `n` random bytes (default node's CSPRNG). */
  readonly random?: (n: number) => Uint8Array;
  /** How long a session lasts; default {@link SESSION_TTL_MS}. */
  readonly ttlMs?: number;
  /** Sessions kept at most; default {@link MAX_SESSIONS}. */
  readonly max?: number;
}

/** The key a session is kept under: the SHA-256 (hex) of its cookie value. */
const keyOf = (cookie: string): string => createHash("sha256").update(cookie, "utf8").digest("hex");

/**
 * The sessions of one manager, keyed by the SHA-256 of their cookie value. Invariant: no session past its
 * `expiresAt` is ever returned (expired ones are dropped when met, and all of them when a session is opened).
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly random: (n: number) => Uint8Array;
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(private readonly o: SessionStoreOptions) {
    this.random = o.random ?? randomBytes;
    this.ttlMs = o.ttlMs ?? SESSION_TTL_MS;
    this.max = o.max ?? MAX_SESSIONS;
  }

  /** Opens a session for a user; returns the cookie value (shown once, never kept) and the session. */
  open(userId: string, accessTokenHash: string): { cookie: string; session: Session } {
    const now = this.o.now();
    this.prune(now);
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value);
    }
    const cookie = Buffer.from(this.random(32)).toString("base64url");
    const session: Session = { userId, accessTokenHash, expiresAt: now + this.ttlMs };
    this.sessions.set(keyOf(cookie), session);
    return { cookie, session };
  }

  /** The live session of a cookie value; undefined for an unknown or expired one (dropped then). */
  get(cookie: string): Session | undefined {
    const key = keyOf(cookie);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (this.o.now() >= s.expiresAt) {
      this.sessions.delete(key);
      return undefined;
    }
    return s;
  }

  /** Ends the session of a cookie value; whether there was one. */
  end(cookie: string): boolean {
    return this.sessions.delete(keyOf(cookie));
  }

  /** Ends every session of a user (removed, or given a new access token). */
  endUser(userId: string): void {
    for (const [k, s] of this.sessions) if (s.userId === userId) this.sessions.delete(k);
  }

  /** How many sessions are open (expired ones not yet met count too). */
  get size(): number {
    return this.sessions.size;
  }

  private prune(now: number): void {
    for (const [k, s] of this.sessions) if (now >= s.expiresAt) this.sessions.delete(k);
  }
}
