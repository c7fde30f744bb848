import { type Entry, type HardState, EMPTY_HARD_STATE } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";

/**
 * The meaning of a WAL, independent of files: the log that replaying its records produces. Shared by the disk WAL
 * (replaying segments at start) and the in-memory twin (applying batches), so both follow the same rules:
 * - an entry with index i replaces i and everything after it (followers truncate conflicting suffixes that way);
 * - an entry may not leave a gap after the last index;
 * - a snapshot marker that `resetsLog` discards the log: it then ends at the snapshot (the core does this when it
 *   restores a snapshot received from the leader);
 * - the newest hard state wins; the snapshot marker with the highest index wins.
 */

/** A position in the log: an index and the term of the entry there. */
export interface LogPosition {
  readonly index: number;
  readonly term: number;
}

/** "A snapshot at (index, term) exists"; `resetsLog` when the log before it was discarded (received snapshot). */
export interface SnapshotMarker extends LogPosition {
  readonly resetsLog: boolean;
}

/** What one persisted batch holds, applied in this order: snapshot marker, entries, hard state. */
export interface LogBatch {
  readonly snapshot?: SnapshotMarker | null;
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState | null;
}

/** Why `entries` cannot follow a log ending at `lastIndex`, or null when they can. */
export function entriesProblem(lastIndex: number, entries: readonly Entry[]): string | null {
  const first = entries[0];
  if (first === undefined) return null;
  if (first.index < 1) return `entry index ${first.index} is below 1`;
  if (first.index > lastIndex + 1) {
    const missing = `${lastIndex + 1}..${first.index - 1}`;
    return `entry ${first.index} does not follow the last index ${lastIndex}: entries ${missing} are missing`;
  }
  for (let k = 1; k < entries.length; k++) {
    const e = entries[k] as Entry;
    if (e.index !== first.index + k) {
      return `entries of one batch are not contiguous: ${first.index + k - 1} then ${e.index}`;
    }
  }
  return null;
}

/** Why `batch` cannot follow a log ending at `lastIndex` (after its snapshot marker is applied), or null. */
export function batchProblem(lastIndex: number, batch: LogBatch): string | null {
  const last = batch.snapshot?.resetsLog ? batch.snapshot.index : lastIndex;
  return entriesProblem(last, batch.entries ?? []);
}

/** A log rebuilt from WAL records. Invariant: `ents[k].index === prevIndex + 1 + k`. */
export class ReplayLog {
  hardState: HardState = EMPTY_HARD_STATE;
  /** The snapshot marker with the highest index seen. */
  snapshot: LogPosition | null = null;
  private prevIndex: number;
  /** Term of entry `prevIndex`; undefined when an overwrite reached below what the log holds. */
  private prevTerm: number | undefined;
  private ents: Entry[] = [];

  /** A log that ends at `base` (index 0, term 0 for an empty one). */
  constructor(base: LogPosition = { index: 0, term: 0 }) {
    this.prevIndex = base.index;
    this.prevTerm = base.term;
  }

  get lastIndex(): number {
    return this.prevIndex + this.ents.length;
  }

  /** The term of the last entry (or of the base when the log is empty). */
  get lastTerm(): number {
    return this.ents[this.ents.length - 1]?.term ?? this.prevTerm ?? 0;
  }

  /** The term at index `i`, or undefined when the log does not know it. */
  termAt(i: number): number | undefined {
    if (i === this.prevIndex) return this.prevTerm;
    return this.ents[i - this.prevIndex - 1]?.term;
  }

  /** Appends with overwrite semantics; returns why it cannot (and changes nothing), or null. */
  appendEntries(entries: readonly Entry[]): string | null {
    const problem = entriesProblem(this.lastIndex, entries);
    const first = entries[0];
    if (problem !== null || first === undefined) return problem;
    if (first.index <= this.prevIndex) {
      this.prevIndex = first.index - 1;
      this.prevTerm = undefined;
      this.ents = [];
    }
    this.ents.length = first.index - this.prevIndex - 1;
    for (const e of entries) this.ents.push(e);
    return null;
  }

  /** Records a snapshot marker; one that `resetsLog` discards the log, which then ends at the snapshot. */
  applyMarker(m: SnapshotMarker): void {
    if (this.snapshot === null || m.index >= this.snapshot.index) this.snapshot = { index: m.index, term: m.term };
    if (m.resetsLog) {
      this.prevIndex = m.index;
      this.prevTerm = m.term;
      this.ents = [];
    }
  }

  /** Applies a whole batch (marker, entries, hard state) or, when it is invalid, nothing; returns the problem. */
  apply(batch: LogBatch): string | null {
    const problem = batchProblem(this.lastIndex, batch);
    if (problem !== null) return problem;
    if (batch.snapshot) this.applyMarker(batch.snapshot);
    this.appendEntries(batch.entries ?? []);
    if (batch.hardState) this.hardState = batch.hardState;
    return null;
  }

  /** Forgets entries up to and including `index` (clamped to the last index); the term at `index` is kept. */
  compact(index: number): void {
    const upTo = Math.min(index, this.lastIndex);
    if (upTo <= this.prevIndex) return;
    this.prevTerm = this.termAt(upTo);
    this.ents = this.ents.slice(upTo - this.prevIndex);
    this.prevIndex = upTo;
  }

  clone(): ReplayLog {
    const c = new ReplayLog({ index: this.prevIndex, term: 0 });
    c.prevTerm = this.prevTerm;
    c.ents = this.ents.slice();
    c.hardState = this.hardState;
    c.snapshot = this.snapshot;
    return c;
  }

  /**
   * The entries after the snapshot at `start`, contiguous from `start.index + 1`. When the log holds a different
   * term at `start.index`, its later entries belong to a history the core discarded on taking the snapshot, and
   * none are returned (`startMatches` is false). Throws {@link RaftCorruptionError} when entries after `start` exist
   * but the ones right after it do not (the snapshot is older than where the kept log begins).
   */
  entriesAfter(start: LogPosition): { entries: Entry[]; startMatches: boolean } {
    const term = this.termAt(start.index);
    if (this.lastIndex <= start.index) return { entries: [], startMatches: term === start.term };
    if (start.index < this.prevIndex) {
      throw new RaftCorruptionError(
        `raft: the newest usable snapshot is at index ${start.index}, but the log kept in the WAL begins after index ` +
          `${this.prevIndex}: entries ${start.index + 1}..${this.prevIndex} are in neither (a newer snapshot file was ` +
          "probably lost or found corrupt). Restore the data dir from a backup, or remove this member from the " +
          "cluster and re-add it with an empty data dir",
      );
    }
    // NB: after an overwrite below the log's base the term at the base is unknown; the entries are kept.
    if (term !== undefined && term !== start.term) return { entries: [], startMatches: false };
    return { entries: this.ents.slice(start.index - this.prevIndex), startMatches: true };
  }
}
