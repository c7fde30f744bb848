import { systemClock, type Clock } from "@shoal/common";

/**
 * Time for the in-memory executor: a clock with timers, either manual (tests move time with `advance`) or real.
 * The shape matches the timer API the health monitor takes, so one clock can drive both.
 */
export type { Clock } from "@shoal/common";

interface ManualTimer {
  readonly seq: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told. `advance(ms)` runs every timer due by the new time, in due order (ties in
 * the order they were set), with `now()` reading each timer's due time while it runs; timers set while
 * advancing run too if they fall due within the step.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers = new Map<number, ManualTimer>();

  /** Starts at `startMs` (epoch ms; default 2026-01-01T00:00:00Z). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.seq;
    this.timers.set(seq, { seq, due: this.time + Math.max(0, ms), fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === "number") this.timers.delete(handle);
  }

  /** Timers not yet run. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, running due timers. Awaits a macrotask turn between timers, so promise chains a
   * timer starts (an exit reaching `wait`, a health result) settle before the next timer runs.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.time + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next.seq);
      this.time = next.due;
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private nextDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.due <= target && (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq))) best = t;
    }
    return best;
  }
}

/** Lets pending promise reactions run (a macrotask turn drains the microtask queue). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The system clock and Node's timers, for suites that run against real time (the executor contract). */
export function realClock(): Clock {
  return systemClock;
}
