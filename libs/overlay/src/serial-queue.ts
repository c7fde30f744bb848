/** Runs operations one at a time in call order; a failure rejects only its own call. */
export type SerialQueue = <T>(op: () => Promise<T>) => Promise<T>;

/** A new SerialQueue: each operation starts once every earlier one has settled. */
export function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };
}
