/** Settings of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms (default 50). */
  readonly baseMs?: number;
  /** Largest delay in ms (default 2000). */
  readonly maxMs?: number;
  /** Random source in [0, 1) for the jitter (default Math.random); inject a seeded one in tests. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with jitter for reconnects: the ceiling doubles from `baseMs` up to `maxMs` and each
 * delay is drawn from [ceiling/2, ceiling), so that peers restarted together do not redial in lockstep.
 */
export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 50;
    this.maxMs = Math.max(options.maxMs ?? 2000, this.baseMs);
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call moves one step up. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Back to the first step, after a successful connection. */
  reset(): void {
    this.attempt = 0;
  }
}
