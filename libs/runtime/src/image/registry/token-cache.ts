/** Lifetime assumed for a token whose answer has no usable `expires_in` (the token spec's default). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** A token is dropped this long before it expires (at most a tenth of its life), so a request never carries one
 * that dies in flight. */
const MAX_EXPIRY_MARGIN_MS = 10_000;

interface CachedToken {
  token: string;
  /** Clock time after which the token is not handed out any more. */
  staleAt: number;
}

/**
 * Bearer tokens by key (registry host and scope), each kept until shortly before its `expires_in` runs out.
 * Time comes from the clock passed in, so tests can move it.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  /** @param now the clock, in epoch milliseconds. */
  constructor(private readonly now: () => number) {}

  /** The cached token for `key`, unless it is missing or about to expire (then it is dropped). */
  get(key: string): string | undefined {
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.staleAt) {
      this.tokens.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Stores `token` for `key`, valid for `expiresInS` seconds from now; a missing, non-finite or non-positive
   * lifetime counts as {@link DEFAULT_TOKEN_LIFETIME_S}.
   */
  set(key: string, token: string, expiresInS: number | undefined): void {
    const lifetimeS =
      expiresInS !== undefined && Number.isFinite(expiresInS) && expiresInS > 0 ? expiresInS : DEFAULT_TOKEN_LIFETIME_S;
    const lifetimeMs = lifetimeS * 1000;
    const margin = Math.min(MAX_EXPIRY_MARGIN_MS, lifetimeMs / 10);
    this.tokens.set(key, { token, staleAt: this.now() + lifetimeMs - margin });
  }

  /** Forgets the token for `key` (the registry refused it). */
  delete(key: string): void {
    this.tokens.delete(key);
  }
}
