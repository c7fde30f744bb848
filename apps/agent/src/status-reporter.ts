import type { TaskState } from "@shoal/api";
import type { StatusBatch } from "@shoal/bus";
import { furthest, movesForward, type ReportStatus } from "./reconcile.js";

type Update = StatusBatch["updates"][number];

export interface StatusReporterOptions {
  /** Sends one batch; returns false when it cannot now (no session, bus down): the updates stay queued. */
  send: (updates: Update[]) => boolean;
  /** How long updates wait to be batched; default 100 ms. */
  flushMs?: number;
  /** A batch is sent at once when it has this many updates; default 100. */
  maxBatch?: number;
  now?: () => number;
}

/**
 * The agent's task status reports: the latest status per task, of which the unsent ones go out in batches
 * (every `flushMs`, or at once at `maxBatch`), one update per task per batch (its latest). Refuses reports
 * that would move a task backwards. While the agent cannot send, updates wait; after a new session
 * `resendAll` queues the latest status of every task again, since what was published to a lost session may
 * never have arrived.
 */
export class StatusReporter {
  private readonly latest = new Map<string, Update["status"]>();
  private readonly unsent = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly now: () => number;

  constructor(private readonly o: StatusReporterOptions) {
    this.flushMs = o.flushMs ?? 100;
    this.maxBatch = o.maxBatch ?? 100;
    this.now = o.now ?? Date.now;
  }

  /** The last state reported for a task. */
  state(taskId: string): TaskState | undefined {
    return this.latest.get(taskId)?.state;
  }

  /** Every task's last reported state. */
  states(): Map<string, TaskState> {
    return new Map([...this.latest].map(([id, s]) => [id, s.state]));
  }

  /**
   * Queues a report if it moves the task forward from both the last report and `managerState` (what the
   * managers recorded); returns whether it did.
   */
  report(taskId: string, status: ReportStatus, managerState?: TaskState): boolean {
    const known = managerState === undefined ? this.state(taskId) : furthest(this.state(taskId), managerState);
    if (known !== undefined && !movesForward(known, status.state)) return false;
    this.latest.set(taskId, { ...status, timestamp: new Date(this.now()).toISOString() });
    this.unsent.add(taskId);
    if (this.unsent.size >= this.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    return true;
  }

  /** Drops what is known about a task that is no longer assigned. */
  forget(taskId: string): void {
    this.latest.delete(taskId);
    this.unsent.delete(taskId);
  }

  /** Queues every task's latest status again and sends them (a new session). */
  resendAll(): void {
    for (const id of this.latest.keys()) this.unsent.add(id);
    this.flush();
  }

  /** Sends what is queued, in batches of at most `maxBatch`; keeps it queued when sending is not possible. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.unsent.size > 0) {
      const ids = [...this.unsent].slice(0, this.maxBatch);
      const updates = ids.flatMap((taskId) => {
        const status = this.latest.get(taskId);
        return status ? [{ taskId, status }] : [];
      });
      if (!this.o.send(updates)) return;
      for (const id of ids) this.unsent.delete(id);
    }
  }

  /** How many updates wait to be sent. */
  get pending(): number {
    return this.unsent.size;
  }

  /** Stops the flush timer (what is queued stays queued). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
