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

  /** Like sync(), for callers that only want it done: failures are logged. */
  kick(): void {
    this.sync().catch((e: unknown) => this.o.log.warn("overlay reconcile failed; retried on the next change", { error: e }));
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
