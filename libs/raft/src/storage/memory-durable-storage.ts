import type { Snapshot } from "../core/types.js";
import { RaftConfigError, SnapshotOutOfDateError } from "../errors.js";
import type { DurableStorage, PersistedState, SaveBatch } from "./durable-storage.js";
import { type LogBatch, ReplayLog } from "./replay-log.js";
import { newestFirst } from "./snapshot-file.js";
import {
  DEFAULT_RETAIN_ENTRIES,
  DEFAULT_RETAIN_SNAPSHOTS,
  checkCount,
  markerToRestore,
  notLoaded,
  persistedState,
  releaseIndex,
} from "./storage-rules.js";

/** Options of {@link MemoryDurableStorage}. */
export interface MemoryDurableStorageOptions {
  /** Snapshots kept (default 2). */
  readonly retainSnapshots?: number;
  /** Entries kept below a snapshot the application made (default 5000). */
  readonly retainEntries?: number;
}

/**
 * The in-memory twin of {@link DiskStorage}, for tests: the same rules (it replays batches through the same
 * {@link ReplayLog}). A restart is modelled by calling `load()` again on the same object; {@link crash} models a
 * power loss: writes saved with `sync === false` since the last synced save are dropped, like unsynced page cache.
 * Snapshot "files" are durable as soon as they are saved, as on disk.
 */
export class MemoryDurableStorage implements DurableStorage {
  /** What survives a crash. */
  private durable = new ReplayLog();
  /** What a reader sees: `durable` plus `pending`. */
  private current = new ReplayLog();
  private pending: LogBatch[] = [];
  /** Newest first. */
  private snapshots: Snapshot[] = [];
  private loaded = false;
  private readonly retainSnapshots: number;
  private readonly retainEntries: number;

  constructor(options: MemoryDurableStorageOptions = {}) {
    this.retainSnapshots = checkCount("retainSnapshots", options.retainSnapshots ?? DEFAULT_RETAIN_SNAPSHOTS, 1);
    this.retainEntries = checkCount("retainEntries", options.retainEntries ?? DEFAULT_RETAIN_ENTRIES, 0);
  }

  /** Reads the state back, as after a restart (see {@link DiskStorage.load}). */
  load(): Promise<PersistedState> {
    return settle(() => this.loadNow());
  }

  save(batch: SaveBatch, sync: boolean): Promise<void> {
    return settle(() => this.saveNow(batch, sync));
  }

  saveSnapshot(snap: Snapshot): Promise<void> {
    return settle(() => this.saveSnapshotNow(snap));
  }

  /** Simulates a power loss: unsynced writes are lost and the storage must be loaded again. */
  crash(): void {
    this.current = this.durable.clone();
    this.pending = [];
    this.loaded = false;
  }

  /** Like DiskStorage.close: what was written becomes durable. */
  close(): Promise<void> {
    this.flush();
    this.loaded = false;
    return Promise.resolve();
  }

  private loadNow(): PersistedState {
    const snapshot = this.snapshots[0] ?? null;
    const start = { index: snapshot?.meta.index ?? 0, term: snapshot?.meta.term ?? 0 };
    const { entries, startMatches } = this.current.entriesAfter(start);
    const marker = markerToRestore(snapshot?.meta ?? null, { snapshot: this.current.snapshot, startMatches });
    if (marker) this.write({ snapshot: marker }, true);
    this.loaded = true;
    return persistedState(this.current.hardState, snapshot, entries, []);
  }

  private saveNow(batch: SaveBatch, sync: boolean): void {
    this.requireLoaded();
    const snap = batch.snapshot;
    if (snap) this.keepSnapshot(snap);
    const marker = snap ? { index: snap.meta.index, term: snap.meta.term, resetsLog: true } : null;
    const entries = batch.entries.map((e) => ({ ...e, data: new Uint8Array(e.data) }));
    this.write({ snapshot: marker, entries, hardState: batch.hardState }, sync);
  }

  private saveSnapshotNow(snap: Snapshot): void {
    this.requireLoaded();
    this.keepSnapshot(snap);
    this.write({ snapshot: { index: snap.meta.index, term: snap.meta.term, resetsLog: false } }, true);
    const oldest = this.snapshots[this.snapshots.length - 1]?.meta.index ?? snap.meta.index;
    const upTo = releaseIndex(snap.meta.index, this.retainEntries, oldest);
    this.durable.compact(upTo);
    this.current.compact(upTo);
  }

  private requireLoaded(): void {
    if (!this.loaded) throw notLoaded();
  }

  private write(batch: LogBatch, sync: boolean): void {
    const problem = this.current.apply(batch);
    if (problem !== null) throw new RaftConfigError(`raft: WAL append refused: ${problem}`);
    this.pending.push(batch);
    if (sync) this.flush();
  }

  private flush(): void {
    for (const b of this.pending) this.durable.apply(b);
    this.pending = [];
  }

  private keepSnapshot(snap: Snapshot): void {
    const newest = this.snapshots[0];
    if (newest && newestFirst(snap.meta, newest.meta) > 0) {
      throw new SnapshotOutOfDateError(
        `raft: snapshot at index ${snap.meta.index} term ${snap.meta.term} is older than the stored one ` +
          `at index ${newest.meta.index}`,
      );
    }
    const copy = { meta: snap.meta, data: new Uint8Array(snap.data) };
    const others = this.snapshots.filter((s) => newestFirst(s.meta, snap.meta) !== 0);
    this.snapshots = [copy, ...others].slice(0, this.retainSnapshots);
  }
}

/** Runs `fn` now and reports its result or error through a promise, as the disk implementation does. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
