import type { ExitInfo } from "../types.js";

interface Waiter {
  promise: Promise<ExitInfo>;
  resolve: (exit: ExitInfo) => void;
}

/**
 * One exit promise per container, made when it starts (or is adopted running) and resolved once when its
 * exit is collected; `wait`, `stop` and a following `logs` all await the same one. Removal drops it.
 */
export class ExitWaiters {
  private readonly waiters = new Map<string, Waiter>();

  /** The promise of container `id`'s next exit, made at the first call. */
  exitOf(id: string): Promise<ExitInfo> {
    return this.waiterFor(id).promise;
  }

  /** Like `exitOf`, but rejects with the signal's reason when `signal` aborts first. */
  exitOrAbort(id: string, signal: AbortSignal | undefined): Promise<ExitInfo> {
    const w = this.exitOf(id);
    if (!signal) return w;
    return new Promise<ExitInfo>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      void w.then((e) => {
        signal.removeEventListener("abort", onAbort);
        resolve(e);
      });
    });
  }

  /** Resolves container `id`'s exit promise (made now if nobody asked yet). */
  resolve(id: string, exit: ExitInfo): void {
    this.waiterFor(id).resolve(exit);
  }

  /** Drops container `id`'s promise: the container is gone. */
  delete(id: string): void {
    this.waiters.delete(id);
  }

  private waiterFor(id: string): Waiter {
    let w = this.waiters.get(id);
    if (!w) {
      let resolve!: (e: ExitInfo) => void;
      const promise = new Promise<ExitInfo>((r) => (resolve = r));
      w = { promise, resolve };
      this.waiters.set(id, w);
    }
    return w;
  }
}
