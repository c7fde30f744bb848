/**
 * Runs async operations with at most `limit` of them in flight; the others wait their turn in the order they
 * were submitted. A failed operation rejects its own promise only.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`Limiter: limit must be a positive integer, not ${limit}`);
  }

  /** Operations running now. */
  get active(): number {
    return this.running;
  }

  /** Operations waiting for a turn. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await op();
    } finally {
      // The turn passes straight to the next waiter, so `running` never drops below the queue's needs.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
