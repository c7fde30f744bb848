import type { Command, StoreEvent } from "@shoal/store";
import { VersionConflictError, NotFoundError } from "@shoal/store";
import type { ClusterStore } from "./cluster-store.js";
import type { LoopLog } from "../log.js";

/** What every leader loop is made with: the store it reads and writes, a log, and a clock. */
export interface LoopEnv {
  store: ClusterStore;
  log: LoopLog;
  clock: () => number;
}

export interface LoopOptions {
  name: string;
  store: ClusterStore;
  /** Computes the commands of one pass from the current state; may ask to be woken at a time. */
  pass: (now: number) => { commands: Command[]; wakeAt?: number };
  /** Which store events make the loop run again (default: all). */
  wants?: (e: StoreEvent) => boolean;
  /** Also run every `intervalMs` (node monitor, reaper). */
  intervalMs?: number;
  log: LoopLog;
  clock?: () => number;
}

/**
 * Runs a leader control loop: one pass at a time, again whenever the store changes in a way it cares about,
 * at its own wake-up times, and on an interval. A pass whose batch a concurrent write made stale (version
 * conflict, task gone) runs again on the fresh state. Loops never call each other: they meet in the store.
 */
export class ControlLoop {
  private dirty = true;
  private running = false;
  private stopped = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private readonly unwatch: () => void;
  private idleWaiters: (() => void)[] = [];
  /** Passes run and commands committed, for status and tests. */
  readonly stats = { passes: 0, commits: 0, conflicts: 0, errors: 0 };

  constructor(private readonly o: LoopOptions) {
    this.unwatch = o.store.watch((events) => {
      if (!o.wants || events.some(o.wants)) this.kick();
    });
    if (o.intervalMs) this.interval = setInterval(() => this.kick(), o.intervalMs);
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.run());
    }
  }

  /** Resolves when the loop has nothing left to do (tests). */
  idle(): Promise<void> {
    if (!this.running && !this.dirty) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.unwatch();
    clearTimeout(this.wakeTimer);
    clearInterval(this.interval);
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async run(): Promise<void> {
    const clock = this.o.clock ?? Date.now;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        this.stats.passes++;
        let result: { commands: Command[]; wakeAt?: number };
        try {
          result = this.o.pass(clock());
        } catch (e) {
          this.stats.errors++;
          this.o.log.warn(`${this.o.name}: pass failed`, { error: (e as Error).message });
          break;
        }
        if (result.wakeAt !== undefined) this.wakeAt(result.wakeAt, clock());
        if (result.commands.length === 0) continue;
        try {
          await this.o.store.write(result.commands);
          this.stats.commits++;
        } catch (e) {
          if (e instanceof VersionConflictError || e instanceof NotFoundError) {
            this.stats.conflicts++;
            this.dirty = true;
            continue;
          }
          if (this.stopped) break;
          this.stats.errors++;
          this.o.log.warn(`${this.o.name}: write failed; retrying`, { error: (e as Error).message });
          this.retryLater();
          break;
        }
      }
    } finally {
      this.running = false;
      if (this.dirty && !this.stopped && !this.wakeTimer) this.kick();
      if (!this.dirty) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private wakeAt(at: number, now: number): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.kick();
      },
      Math.max(0, at - now) + 1,
    );
  }

  private retryLater(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.kick();
    }, 200);
  }
}
