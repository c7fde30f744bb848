/**
 * The search structures of the Wing & Gong / Lowe linearizability check: a doubly linked list of call and
 * return entries in time order, and a bitset of the operations linearized so far.
 */

/**
 * One entry of the list. A call entry points at its operation's return entry through `match`; a return entry
 * (and each sentinel) has `match === null`. Sentinels have `id === -1`.
 */
export class EntryNode {
  prev: EntryNode = this;
  next: EntryNode = this;
  constructor(
    /** Index of the operation in its partition. */
    readonly id: number,
    readonly match: EntryNode | null,
  ) {}
}

/** The list between two sentinels; `head.next` is the earliest entry not yet lifted. */
export interface EntryList {
  readonly head: EntryNode;
  readonly tail: EntryNode;
}

/** Time span of one operation, as the list builder needs it. */
export interface Span {
  readonly call: number;
  readonly return: number;
}

/**
 * Builds the entry list of `spans` (operation `i` gets id `i`). Entries are ordered by time; at equal times
 * calls go before returns, so operations that touch at one instant count as concurrent.
 */
export function buildEntryList(spans: readonly Span[]): EntryList {
  const events: { time: number; isReturn: boolean; id: number }[] = [];
  spans.forEach((s, id) => {
    events.push({ time: s.call, isReturn: false, id }, { time: s.return, isReturn: true, id });
  });
  events.sort((a, b) => a.time - b.time || Number(a.isReturn) - Number(b.isReturn) || a.id - b.id);
  // Infinity - Infinity is NaN, which `||` skips: ties at Infinity fall through to the next keys.
  const returns = spans.map((_, id) => new EntryNode(id, null));
  const head = new EntryNode(-1, null);
  const tail = new EntryNode(-1, null);
  let last = head;
  for (const e of events) {
    const ret = returns[e.id] as EntryNode;
    const node = e.isReturn ? ret : new EntryNode(e.id, ret);
    last.next = node;
    node.prev = last;
    last = node;
  }
  last.next = tail;
  tail.prev = last;
  return { head, tail };
}

/** Unlinks a call entry and its return entry (the operation has been linearized). */
export function lift(call: EntryNode): void {
  call.prev.next = call.next;
  call.next.prev = call.prev;
  const ret = call.match as EntryNode;
  ret.prev.next = ret.next;
  ret.next.prev = ret.prev;
}

/** Relinks what {@link lift} unlinked; must undo lifts in reverse order. */
export function unlift(call: EntryNode): void {
  const ret = call.match as EntryNode;
  ret.prev.next = ret;
  ret.next.prev = ret;
  call.prev.next = call;
  call.next.prev = call;
}

/** A fixed-size set of operation ids with a string key for the memo cache. */
export class Bitset {
  private readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  set(i: number): void {
    this.words[i >>> 5] = ((this.words[i >>> 5] ?? 0) | (1 << (i & 31))) >>> 0;
  }

  clear(i: number): void {
    this.words[i >>> 5] = ((this.words[i >>> 5] ?? 0) & ~(1 << (i & 31))) >>> 0;
  }

  has(i: number): boolean {
    return (((this.words[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
  }

  /** A string equal for two bitsets exactly when they hold the same ids. */
  key(): string {
    let s = "";
    for (const w of this.words) s += String.fromCharCode(w & 0xffff, w >>> 16);
    return s;
  }
}
