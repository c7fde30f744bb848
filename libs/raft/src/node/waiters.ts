import { ProposalLostError, StoppedError, TimeoutError } from "../errors.js";

/** A promise with its settle functions and an optional deadline. */
export interface Waiter<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: Error): void;
}

export function waiter<T>(timeoutMs: number, what: string, onTimeout?: () => void): Waiter<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => {
    onTimeout?.();
    reject(new TimeoutError(`raft: ${what} did not complete within ${timeoutMs} ms; its outcome is unknown`));
  }, timeoutMs);
  timer.unref();
  return {
    promise,
    resolve: (v) => {
      clearTimeout(timer);
      resolve(v);
    },
    reject: (e) => {
      clearTimeout(timer);
      reject(e);
    },
  };
}

/**
 * Proposals waiting for their entry to apply, by the (index, term) the leader gave them. When the entry at
 * that index applies with another term, the proposal was overwritten by a newer leader: it is lost for sure.
 */
export class ProposalWaiters {
  private readonly byIndex = new Map<number, { term: number; w: Waiter<unknown> }>();

  add(index: number, term: number, w: Waiter<unknown>): void {
    this.byIndex.set(index, { term, w });
  }

  delete(index: number): void {
    this.byIndex.delete(index);
  }

  /** Settles the proposal at `index`, if any, now that the entry of term `term` applied with `result`. */
  applied(index: number, term: number, result: unknown): void {
    const p = this.byIndex.get(index);
    if (!p) return;
    this.byIndex.delete(index);
    if (p.term === term) p.w.resolve(result);
    else
      p.w.reject(
        new ProposalLostError(
          `raft: proposal at index ${index} was replaced by a newer leader's entry; it was not applied`,
        ),
      );
  }

  /** Rejects every waiter whose entry was cut off by a snapshot up to `index` (outcome unknown). */
  skippedTo(index: number): void {
    for (const [i, p] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      p.w.reject(
        new TimeoutError(
          `raft: proposal at index ${i} was covered by a snapshot before it was seen applied; its outcome is unknown`,
        ),
      );
    }
  }

  rejectAll(e: Error = new StoppedError("raft: node stopped; the outcome of pending proposals is unknown")): void {
    for (const p of this.byIndex.values()) p.w.reject(e);
    this.byIndex.clear();
  }
}
