/** An event waiting in the queue: due at `time` (virtual ms), ordered by `seq` among events due together. */
export interface Scheduled<E> {
  readonly time: number;
  readonly seq: number;
  readonly event: E;
}

/**
 * A virtual clock and a priority queue of events (a binary heap ordered by time, then insertion sequence), so
 * that a run is fully determined by the order events are scheduled in. Time only moves when an event is taken.
 */
export class EventQueue<E> {
  private readonly heap: Scheduled<E>[] = [];
  private seq = 0;
  private clock = 0;

  /** The current virtual time: the time of the last event taken. */
  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `event` `delay` ms from now (a negative delay counts as 0). */
  after(delay: number, event: E): void {
    this.push({ time: this.clock + Math.max(0, delay), seq: this.seq++, event });
  }

  /** Takes the next event and moves the clock to its time; undefined when the queue is empty. */
  pop(): Scheduled<E> | undefined {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return undefined;
    const last = h.pop() as Scheduled<E>;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    this.clock = top.time;
    return top;
  }

  private less(a: Scheduled<E>, b: Scheduled<E>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(s: Scheduled<E>): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Scheduled<E>;
      if (!this.less(s, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = s;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[i] as Scheduled<E>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(h[r] as Scheduled<E>, h[l] as Scheduled<E>)) c = r;
      const child = h[c] as Scheduled<E>;
      if (!this.less(child, item)) break;
      h[i] = child;
      i = c;
    }
    h[i] = item;
  }
}
