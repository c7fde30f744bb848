import type { ContainerEvent } from "../types.js";

/** The runtime's event stream (`start`, `exit`, `oom`, `health`): listeners subscribe, the runtime emits. */
export class ContainerEvents {
  private readonly listeners = new Set<(e: ContainerEvent) => void>();

  /** Adds `listener`; returns the function that removes it. */
  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener with `e`, in subscription order; a listener that throws does not stop the others. */
  emit(e: ContainerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
