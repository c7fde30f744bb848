/**
 * Runs async operations one at a time, in the order they were submitted. A failed operation rejects its own
 * promise only; the next one still runs (callers that must stop after a failure track that themselves).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `op` behind every operation submitted before it and resolves with its result. */
  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
