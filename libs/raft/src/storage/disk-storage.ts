import path from "node:path";
import type { Snapshot } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import type { DurableStorage, PersistedState, SaveBatch } from "./durable-storage.js";
import { ensureDir } from "./fs-util.js";
import { PLAIN_RECORDS, type RecordCipher } from "./record-cipher.js";
import { SnapshotStore } from "./snapshot-store.js";
import {
  DEFAULT_RETAIN_ENTRIES,
  DEFAULT_RETAIN_SNAPSHOTS,
  checkCount,
  markerToRestore,
  notLoaded,
  persistedState,
  releaseIndex,
} from "./storage-rules.js";
import { DEFAULT_SEGMENT_BYTES, Wal } from "./wal.js";
import { RESTORE_ADVICE, listSegments } from "./wal-segment.js";

/** Options of {@link DiskStorage.open}. */
export interface DiskStorageOptions {
  /** WAL segment size limit in bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Snapshot files kept (default 2). */
  readonly retainSnapshots?: number;
  /** Entries kept in the WAL below a snapshot the application made (default 5000). */
  readonly retainEntries?: number;
  /**
   * Seals WAL entries records and snapshot data. Default {@link PLAIN_RECORDS}: nothing is encrypted, which only
   * tests should want. A data dir written with one key is refused with any other.
   */
  readonly cipher?: RecordCipher;
}

/**
 * {@link DurableStorage} on disk: a {@link Wal} in `<dataDir>/wal` and a {@link SnapshotStore} in `<dataDir>/snap`.
 * A received snapshot's file is durable before its WAL marker is written; a load that finds a snapshot file
 * without its marker (a crash in between) writes the marker then.
 */
export class DiskStorage implements DurableStorage {
  private wal: Wal | null = null;

  private constructor(
    private readonly walDir: string,
    private readonly snaps: SnapshotStore,
    private readonly segmentBytes: number,
    private readonly retainEntries: number,
    private readonly cipher: RecordCipher,
  ) {}

  /** Opens the storage under `dataDir`, creating its directories. Reads nothing yet: call {@link load}. */
  static async open(dataDir: string, options: DiskStorageOptions = {}): Promise<DiskStorage> {
    const segmentBytes = checkCount("segmentBytes", options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, 1);
    const retainEntries = checkCount("retainEntries", options.retainEntries ?? DEFAULT_RETAIN_ENTRIES, 0);
    const retain = checkCount("retainSnapshots", options.retainSnapshots ?? DEFAULT_RETAIN_SNAPSHOTS, 1);
    const walDir = path.join(dataDir, "wal");
    await ensureDir(walDir);
    const cipher = options.cipher ?? PLAIN_RECORDS;
    const snaps = await SnapshotStore.open(path.join(dataDir, "snap"), { retain, cipher });
    return new DiskStorage(walDir, snaps, segmentBytes, retainEntries, cipher);
  }

  /**
   * Reads the newest valid snapshot, then replays the WAL for the hard state and the entries after it. Throws
   * RaftCorruptionError when the data cannot be trusted (see {@link Wal.open}) or when snapshot files exist but the
   * WAL does not (the term and vote are lost). Files of another format version or sealed with another key are
   * refused with StorageFormatError or StorageKeyError.
   */
  async load(): Promise<PersistedState> {
    if (this.wal) await this.wal.close();
    this.wal = null;
    const { snapshot, warnings } = await this.snaps.load();
    if (snapshot && (await listSegments(this.walDir)).length === 0) {
      throw new RaftCorruptionError(
        `raft: there are snapshot files but no WAL in ${this.walDir}: the term and vote this member promised are ` +
          `lost, so it cannot safely rejoin. ${RESTORE_ADVICE}`,
      );
    }
    const start = { index: snapshot?.meta.index ?? 0, term: snapshot?.meta.term ?? 0 };
    const { wal, recovery } = await Wal.open(this.walDir, start, {
      segmentBytes: this.segmentBytes,
      cipher: this.cipher,
    });
    try {
      const marker = markerToRestore(snapshot?.meta ?? null, recovery);
      if (marker) await wal.append({ snapshot: marker }, true);
    } catch (err) {
      await wal.close();
      throw err;
    }
    this.wal = wal;
    return persistedState(recovery.hardState, snapshot, recovery.entries, [...warnings, ...recovery.warnings]);
  }

  /** Persists a Ready batch: snapshot file (synced), then one WAL write of marker, entries and hard state. */
  async save(batch: SaveBatch, sync: boolean): Promise<void> {
    const wal = this.requireWal();
    const snap = batch.snapshot;
    if (snap) await this.snaps.save(snap);
    const marker = snap ? { index: snap.meta.index, term: snap.meta.term, resetsLog: true } : null;
    await wal.append({ snapshot: marker, entries: batch.entries, hardState: batch.hardState }, sync);
  }

  /** Saves the file and a synced WAL marker, then releases WAL segments (see {@link releaseIndex}). */
  async saveSnapshot(snap: Snapshot): Promise<void> {
    const wal = this.requireWal();
    await this.snaps.save(snap);
    await wal.append({ snapshot: { index: snap.meta.index, term: snap.meta.term, resetsLog: false } }, true);
    const kept = await this.snaps.list();
    const oldest = kept[kept.length - 1]?.index ?? snap.meta.index;
    const upTo = releaseIndex(snap.meta.index, this.retainEntries, oldest);
    if (upTo > 0) await wal.releaseTo(upTo);
  }

  /** Syncs and closes the WAL. The object can be loaded again (a restart without a crash). */
  async close(): Promise<void> {
    const wal = this.wal;
    this.wal = null;
    if (wal) await wal.close();
  }

  private requireWal(): Wal {
    if (!this.wal) throw notLoaded();
    return this.wal;
  }
}
