/**
 * A token bucket per key (a source address): `capacity` attempts at once, refilled at `capacity` per `periodMs`.
 * The sign-in route spends a token on each failure only, so a user who signs in right is never slowed down, and
 * a guesser gets `capacity` tries per period (docs/design/trust.md §4.6: 10 per minute). Pure: the clock is
 * injected.
 */

/** What a {@link RateLimiter} allows. */
export interface RateLimitOptions {
  /** Attempts allowed at once (the bucket's size). */
  readonly capacity: number;
  /** The time in which an empty bucket fills again, in ms. */
  readonly periodMs: number;
  /** The time now, in ms. */
  readonly now: () => number;
  /** Keys tracked at most; past it, full buckets are forgotten, then the oldest (default 10,000). */
  readonly maxKeys?: number;
}

/** Whether an attempt may go ahead now, and if not, when the next one may. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key. Invariant: a bucket holds between 0 and `capacity` tokens as of its `at`. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(private readonly o: RateLimitOptions) {
    if (!(o.capacity >= 1) || !(o.periodMs > 0))
      throw new RangeError("rate limit: capacity must be at least 1 and the period positive");
    this.perMs = o.capacity / o.periodMs;
  }

  /** Whether `key` may make an attempt now (spends nothing). */
  check(key: string): RateDecision {
    const tokens = this.tokensOf(key, this.o.now());
    if (tokens >= 1) return { ok: true };
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / this.perMs) };
  }

  /** Spends one token of `key` (a failed attempt). */
  spend(key: string): void {
    const now = this.o.now();
    const tokens = this.tokensOf(key, now);
    this.buckets.delete(key); // re-inserted last: the map's order is oldest use first
    this.buckets.set(key, { tokens: Math.max(0, tokens - 1), at: now });
    this.bound(now);
  }

  /** Keys with a bucket that is not full (for tests and metrics). */
  get tracked(): number {
    return this.buckets.size;
  }

  private tokensOf(key: string, now: number): number {
    const b = this.buckets.get(key);
    if (!b) return this.o.capacity;
    return Math.min(this.o.capacity, b.tokens + Math.max(0, now - b.at) * this.perMs);
  }

  private bound(now: number): void {
    const max = this.o.maxKeys ?? 10_000;
    if (this.buckets.size <= max) return;
    for (const [k, b] of this.buckets)
      if (Math.min(this.o.capacity, b.tokens + (now - b.at) * this.perMs) >= this.o.capacity) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= max) break;
      this.buckets.delete(k);
    }
  }
}
