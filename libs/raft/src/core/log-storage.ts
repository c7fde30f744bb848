import { CompactedError, SnapshotOutOfDateError, UnavailableError } from "../errors.js";
import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  EntryType,
  entrySize,
} from "./types.js";

/**
 * The core's read-only view of the stable log: entries the driver has persisted. Reads are synchronous; the
 * driver keeps the log since the last snapshot in memory (a {@link MemoryStorage} filled from the WAL).
 */
export interface LogStorage {
  /** The persisted hard state and the membership as of the last snapshot. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if any, then up to `maxBytes` in total. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** The term of entry `i`; for `firstIndex() - 1` the snapshot's term. */
  term(i: number): number;
  /** Index of the first entry still available (the snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The newest snapshot. */
  snapshot(): Snapshot;
}

/** Returns the longest prefix of `ents` (at least one entry) whose total size is within `maxBytes`. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0] as Entry);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n] as Entry);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * In-memory {@link LogStorage}: the stable log the core reads from. The driver appends to it after the WAL
 * write is durable; tests and the simulator use it directly. `ents[0]` is a dummy holding the snapshot's
 * index and term.
 */
export class MemoryStorage implements LogStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = { meta: { index: 0, term: 0, conf: EMPTY_CONF_STATE }, data: new Uint8Array(0) };
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.meta.conf };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): number {
    return (this.ents[0] as Entry).index;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.offset;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = this.offset;
    if (i < offset) throw new CompactedError(i);
    if (i - offset >= this.ents.length) throw new UnavailableError(i);
    return (this.ents[i - offset] as Entry).term;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (received from the leader, or loaded at start). */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index < this.snap.meta.index) {
      throw new SnapshotOutOfDateError(
        `raft: snapshot at ${snap.meta.index} is older than the stored one at ${this.snap.meta.index}`,
      );
    }
    this.snap = snap;
    this.ents = [{ term: snap.meta.term, index: snap.meta.index, type: EntryType.Normal, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot the application made at `index` (which must be applied and in the log) and returns it.
   * Entries are kept until {@link compact} is called.
   */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) {
      throw new SnapshotOutOfDateError(`raft: snapshot at ${index} is not newer than ${this.snap.meta.index}`);
    }
    if (index > this.lastIndex()) throw new UnavailableError(index);
    this.snap = { meta: { index, term: this.term(index), conf }, data };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex` (which must be at most the last index). */
  compact(compactIndex: number): void {
    const offset = this.offset;
    if (compactIndex <= offset) return;
    if (compactIndex > this.lastIndex()) throw new UnavailableError(compactIndex);
    const i = compactIndex - offset;
    const head = this.ents[i] as Entry;
    this.ents = [
      { term: head.term, index: head.index, type: EntryType.Normal, data: new Uint8Array(0) },
      ...this.ents.slice(i + 1),
    ];
  }

  /**
   * Appends persisted entries. Entries at or below the snapshot are ignored; an entry that overlaps the log
   * replaces it from that index on (the core only sends a truncation from the first conflicting index).
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = (entries[entries.length - 1] as Entry).index;
    if (lastNew < first) return;
    const fromIdx = Math.max(first - (entries[0] as Entry).index, 0);
    const ents = fromIdx > 0 ? entries.slice(fromIdx) : entries;
    const start = (ents[0] as Entry).index;
    const offset = this.offset;
    const keep = start - offset;
    if (keep > this.ents.length) {
      throw new UnavailableError(start);
    }
    if (keep < this.ents.length) this.ents.length = keep;
    for (const e of ents) this.ents.push(e);
  }
}
