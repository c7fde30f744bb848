/** The outcome of one key of a batch: its value, or the error that failed it alone. */
export type BatchResults<R> = Map<string, R | Error>;

/**
 * Gathers calls into batches: every `add(key)` made before the batch operation starts joins it, and calls made
 * while it runs form the next. `enqueue` decides when a batch runs (the owner's serial queue); `run` gets the
 * distinct keys and answers each one (a key it leaves out, or a throw, fails those calls).
 */
export class Gatherer<R> {
  private waiting = new Map<string, { resolve: (r: R) => void; reject: (e: Error) => void }[]>();
  private queued = false;

  constructor(
    private readonly enqueue: (op: () => Promise<void>) => void,
    private readonly run: (keys: string[]) => Promise<BatchResults<R>>,
  ) {}

  add(key: string): Promise<R> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(key);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.queued) return;
      this.queued = true;
      this.enqueue(async () => {
        const batch = this.waiting;
        this.waiting = new Map();
        this.queued = false;
        let results: BatchResults<R>;
        try {
          results = await this.run([...batch.keys()]);
        } catch (e) {
          results = new Map([...batch.keys()].map((k) => [k, e as Error]));
        }
        for (const [key, waiters] of batch) {
          const r = results.get(key) ?? new Error(`the batch gave no result for ${key}`);
          for (const w of waiters) {
            if (r instanceof Error) w.reject(r);
            else w.resolve(r);
          }
        }
      });
    });
  }
}
