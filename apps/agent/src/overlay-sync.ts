import type { OverlayDesiredState, OverlayPlan, VxlanOverlay } from "@shoal/overlay";
import type { AgentLog } from "./log.js";

export interface OverlaySyncOptions {
  overlay: VxlanOverlay;
  /** The desired state now (read when a reconcile begins). */
  desired: () => OverlayDesiredState;
  log: AgentLog;
  /** A desired state equal to the last one applied is skipped, unless that was longer ago than this; default 60 s. */
  refreshMs?: number;
  /** How long kick() gathers changes before applying them; default 150 ms. */
  kickDelayMs?: number;
  clock?: () => number;
}

/**
 * Runs the node's overlay reconciles one at a time and coalesces requests: every `sync()` resolves with the
 * plan of a reconcile that began after it was called (so it saw the caller's change), and the requests that
 * arrive during one reconcile share the next. A desired state equal to the one last applied is not applied
 * again (but at least once a minute, which also repairs what someone changed by hand).
 */
export class OverlaySync {
  private running = false;
  private last: { json: string; at: number; plan: OverlayPlan } | undefined;
  private waiters: { resolve: (p: OverlayPlan) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly o: OverlaySyncOptions) {}

  sync(): Promise<OverlayPlan> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  private retry: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  /**
   * Like sync(), for changes nobody waits on (the managers' view changed): gathered for `kickDelayMs` (default
   * 150 ms; tasks coming up change the view many times a second), then applied; failures are logged and
   * retried (1 s, doubling to 30 s).
   */
  kick(): void {
    if (this.kickTimer !== undefined || this.closed) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      this.sync().then(
        () => (this.failures = 0),
        (e: unknown) => {
          this.failures++;
          const inMs = Math.min(30_000, 1_000 * 2 ** (this.failures - 1));
          this.o.log.warn("overlay reconcile failed; retrying", { error: e, retryInMs: inMs });
          if (this.retry === undefined && !this.closed) {
            this.retry = setTimeout(() => {
              this.retry = undefined;
              this.kick();
            }, inMs);
          }
        },
      );
    }, this.o.kickDelayMs ?? 150);
  }

  /** Stops retrying and drops a pending kick. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.kickTimer);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0) {
        const batch = this.waiters.splice(0);
        try {
          const desired = this.o.desired();
          const json = JSON.stringify(desired);
          const now = (this.o.clock ?? Date.now)();
          // Views change with every task state; most changes leave the node's overlay as it is.
          if (this.last?.json === json && now - this.last.at < (this.o.refreshMs ?? 60_000)) {
            for (const w of batch) w.resolve({ steps: [], missingTasks: this.last.plan.missingTasks });
            continue;
          }
          this.last = undefined;
          const plan = await this.o.overlay.reconcile(desired);
          this.last = { json, at: now, plan };
          for (const w of batch) w.resolve(plan);
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
