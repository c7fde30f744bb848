import type { OverlayDesiredState, OverlayPlan, VxlanOverlay } from "@shoal/overlay";
import type { AgentLog } from "./log.js";

export interface OverlaySyncOptions {
  overlay: VxlanOverlay;
  /** The desired state now (read when a reconcile begins). */
  desired: () => OverlayDesiredState;
  log: AgentLog;
}

/**
 * Runs the node's overlay reconciles one at a time and coalesces requests: every `sync()` resolves with the
 * plan of a reconcile that began after it was called (so it saw the caller's change), and the requests that
 * arrive during one reconcile share the next.
 */
export class OverlaySync {
  private running = false;
  private waiters: { resolve: (p: OverlayPlan) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly o: OverlaySyncOptions) {}

  sync(): Promise<OverlayPlan> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  /** Like sync(), for callers that only want it done: failures are logged and retried (1 s, doubling to 30 s). */
  kick(): void {
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
  }

  /** Stops retrying. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiters.length > 0) {
        const batch = this.waiters.splice(0);
        try {
          const plan = await this.o.overlay.reconcile(this.o.desired());
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
