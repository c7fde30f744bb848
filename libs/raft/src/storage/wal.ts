import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import path from "node:path";
import type { Entry, HardState } from "../core/types.js";
import { RaftConfigError, StorageFailedError } from "../errors.js";
import { ensureDir, writeAll } from "./fs-util.js";
import { type LogBatch, type LogPosition, ReplayLog, batchProblem } from "./replay-log.js";
import { SerialQueue, syncDir } from "@shoal/common";
import { PLAIN_RECORDS, type RecordCipher } from "./record-cipher.js";
import { encodeHardStatePayload, encodeMarker, encodeSegmentHeader, sealEntries } from "./wal-payload.js";
import { type RawRecord, RecordType, frameRecords, framedSize } from "./wal-record.js";
import { replaySegments } from "./wal-recovery.js";
import { type SegmentFile, listSegments, segmentName } from "./wal-segment.js";

/** Default size past which the WAL starts a new segment. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Options of {@link Wal.open}. */
export interface WalOptions {
  /** A new segment is started once the current one reaches this many bytes (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Seals entries records (default {@link PLAIN_RECORDS}, for tests); segments sealed with another key are refused. */
  readonly cipher?: RecordCipher;
}

/** What {@link Wal.open} read back. */
export interface WalRecovery {
  /** The newest hard state (empty for a new WAL). */
  readonly hardState: HardState;
  /** The snapshot marker with the highest index, or null. */
  readonly snapshot: LogPosition | null;
  /** Entries after the `start` passed to open, contiguous from `start.index + 1` (overwrites applied). */
  readonly entries: Entry[];
  /** Whether the log holds `start.index` with `start.term` (false: the WAL does not know the snapshot yet). */
  readonly startMatches: boolean;
  /** The last index of the log in the WAL. */
  readonly lastIndex: number;
  /** No segment existed: the WAL was just created. */
  readonly fresh: boolean;
  /** Torn tails that were cut off, one message each naming file and offset. */
  readonly warnings: string[];
}

/**
 * A write-ahead log of Raft state in one directory of segment files (format: wal-record.ts, wal-segment.ts).
 * Invariants: each {@link append} is ONE write of ONE buffer and, when `sync`, ONE fdatasync, and it resolves only
 * once that is done; operations run one at a time in call order; after any write or sync fails the WAL refuses all
 * further work ({@link StorageFailedError}), since what reached the disk is unknown.
 */
export class Wal {
  private readonly queue = new SerialQueue();
  private dirty = false;
  private closed = false;
  private failure: unknown = undefined;
  private writes = 0;
  private syncs = 0;
  // The write side's view of the log, for validation and for the next segment header.
  private lastIndex: number;
  private lastTerm: number;
  private hardState: HardState;
  private snapshot: LogPosition | null;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly cipher: RecordCipher,
    private segments: SegmentFile[],
    private fh: FileHandle,
    private size: number,
    tail: { lastIndex: number; lastTerm: number; hardState: HardState; snapshot: LogPosition | null },
  ) {
    ({ lastIndex: this.lastIndex, lastTerm: this.lastTerm, hardState: this.hardState, snapshot: this.snapshot } = tail);
  }

  /**
   * Opens (or creates) the WAL in `dir` and replays it. `start` is the snapshot the caller restores from: only
   * entries after it are returned. A torn tail of the last segment is cut off and reported in `warnings`; any other
   * damage throws RaftCorruptionError; a segment of another format version throws StorageFormatError, one sealed
   * with another key StorageKeyError.
   */
  static async open(
    dir: string,
    start: LogPosition = { index: 0, term: 0 },
    options: WalOptions = {},
  ): Promise<{ wal: Wal; recovery: WalRecovery }> {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) {
      throw new RaftConfigError(`raft: WAL segmentBytes must be a positive integer, got ${segmentBytes}`);
    }
    await ensureDir(dir);
    const cipher = options.cipher ?? PLAIN_RECORDS;
    const segments = await listSegments(dir);
    const fresh = segments.length === 0;
    const { log, lastSize, lastNeedsHeader, warnings } = fresh
      ? { log: new ReplayLog(), lastSize: 0, lastNeedsHeader: true, warnings: [] }
      : await replaySegments(dir, segments, cipher);
    if (fresh) segments.push({ seq: 1, firstIndex: 1, name: segmentName(1, 1) });
    const last = segments[segments.length - 1] as SegmentFile;
    const fh = await fs.open(path.join(dir, last.name), fresh ? "wx" : "r+");
    const tail = { lastIndex: log.lastIndex, lastTerm: log.lastTerm, hardState: log.hardState, snapshot: log.snapshot };
    const wal = new Wal(dir, segmentBytes, cipher, segments, fh, lastSize, tail);
    try {
      if (lastNeedsHeader) await wal.writeHeader(last);
      const { entries, startMatches } = log.entriesAfter(start);
      const { hardState, snapshot, lastIndex } = log;
      return { wal, recovery: { hardState, snapshot, entries, startMatches, lastIndex, fresh, warnings } };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Counts of writes and fdatasyncs issued so far (for metrics and tests). */
  get stats(): { readonly writes: number; readonly syncs: number } {
    return { writes: this.writes, syncs: this.syncs };
  }

  /** The segment file names, oldest first. */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Appends one batch: its snapshot marker, entries (sealed as one record) and hard state are framed into ONE
   * buffer written with ONE write, then fdatasynced once when `sync`. Durable (when `sync`) before the promise resolves. Calls are
   * serialized: a second append waits for the first. Throws RaftConfigError (writing nothing) when the entries would
   * leave a gap after the last index.
   */
  append(batch: LogBatch, sync: boolean): Promise<void> {
    return this.queue.run(async () => {
      this.checkUsable();
      const problem = batchProblem(this.lastIndex, batch);
      if (problem !== null) throw new RaftConfigError(`raft: WAL append refused: ${problem}`);
      const marker = batch.snapshot ? { type: RecordType.SnapshotMarker, payload: encodeMarker(batch.snapshot) } : null;
      const entries = batch.entries ?? [];
      const hardState = batch.hardState
        ? { type: RecordType.HardState, payload: encodeHardStatePayload(batch.hardState) }
        : null;
      const any = marker !== null || entries.length > 0 || hardState !== null;
      await this.guard(async () => {
        if (any && this.size >= this.segmentBytes) await this.cut();
        if (any) await this.write(frameRecords(this.place(marker, entries, hardState)));
        if (sync) await this.flush();
      });
      this.track(batch);
    });
  }

  /**
   * Deletes, oldest first, whole segments whose entries are all at or below `index` (a segment qualifies when the
   * next one starts at or below `index + 1`). The last segment is never deleted. Call only once a snapshot at or
   * above `index` is durable (file and WAL marker).
   */
  releaseTo(index: number): Promise<void> {
    return this.queue.run(async () => {
      this.checkUsable();
      let deleted = 0;
      try {
        while (
          deleted < this.segments.length - 1 &&
          (this.segments[deleted + 1] as SegmentFile).firstIndex - 1 <= index
        ) {
          await fs.unlink(path.join(this.dir, (this.segments[deleted] as SegmentFile).name));
          deleted++;
        }
        if (deleted > 0) await syncDir(this.dir);
      } catch (err) {
        throw new StorageFailedError(`raft: releasing WAL segments in ${this.dir} failed`, { cause: err });
      } finally {
        this.segments = this.segments.slice(deleted);
      }
    });
  }

  /** Syncs what was written (a clean shutdown leaves nothing unsynced) and closes the file. Idempotent. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        if (this.failure === undefined && this.dirty) await this.flush();
      } finally {
        await this.fh.close();
      }
    });
  }

  /**
   * The batch's records in write order, the entries sealed for where they will land: the current segment, after
   * what it holds and after the marker. Call once any segment cut is done.
   */
  private place(marker: RawRecord | null, entries: readonly Entry[], hardState: RawRecord | null): RawRecord[] {
    const records: RawRecord[] = [];
    if (marker) records.push(marker);
    if (entries.length > 0) {
      const seq = (this.segments[this.segments.length - 1] as SegmentFile).seq;
      const offset = this.size + (marker ? framedSize(marker) : 0);
      records.push({ type: RecordType.Entries, payload: sealEntries(entries, this.cipher, { seq, offset }) });
    }
    if (hardState) records.push(hardState);
    return records;
  }

  private checkUsable(): void {
    if (this.closed) throw new StorageFailedError(`raft: the WAL in ${this.dir} is closed`);
    if (this.failure !== undefined) {
      throw new StorageFailedError(
        `raft: an earlier write to the WAL in ${this.dir} failed; restart to recover from disk`,
        {
          cause: this.failure,
        },
      );
    }
  }

  /** Runs I/O; a failure poisons the WAL (see class doc). */
  private async guard(io: () => Promise<void>): Promise<void> {
    try {
      await io();
    } catch (err) {
      this.failure = err;
      throw new StorageFailedError(`raft: writing the WAL in ${this.dir} failed`, { cause: err });
    }
  }

  private async write(buf: Uint8Array): Promise<void> {
    await writeAll(this.fh, buf, this.size);
    this.size += buf.byteLength;
    this.dirty = true;
    this.writes++;
  }

  private async flush(): Promise<void> {
    if (!this.dirty) return;
    await this.fh.datasync();
    this.dirty = false;
    this.syncs++;
  }

  /** Updates the write-side view of the log after a successful append (mirrors ReplayLog.apply). */
  private track(batch: LogBatch): void {
    const m = batch.snapshot;
    if (m) {
      if (this.snapshot === null || m.index >= this.snapshot.index) this.snapshot = { index: m.index, term: m.term };
      if (m.resetsLog) [this.lastIndex, this.lastTerm] = [m.index, m.term];
    }
    const last = batch.entries?.[batch.entries.length - 1];
    if (last) [this.lastIndex, this.lastTerm] = [last.index, last.term];
    if (batch.hardState) this.hardState = batch.hardState;
  }

  /**
   * Starts a new segment. The current one is fdatasynced first: a non-last segment must never have a torn tail,
   * since recovery treats damage there as corruption.
   */
  private async cut(): Promise<void> {
    await this.flush();
    const prev = this.segments[this.segments.length - 1] as SegmentFile;
    const next = { seq: prev.seq + 1, firstIndex: this.lastIndex + 1 };
    const seg: SegmentFile = { ...next, name: segmentName(next.seq, next.firstIndex) };
    const fh = await fs.open(path.join(this.dir, seg.name), "wx");
    const old = this.fh;
    [this.fh, this.size] = [fh, 0];
    this.segments.push(seg);
    await old.close();
    await this.writeHeader(seg);
  }

  /** Writes the header of the (empty) current segment, fdatasyncs it and fsyncs the directory. */
  private async writeHeader(seg: SegmentFile): Promise<void> {
    const header = encodeSegmentHeader({
      keyId: this.cipher.keyId,
      seq: seg.seq,
      firstIndex: seg.firstIndex,
      prevTerm: this.lastTerm,
      hardState: this.hardState,
      snapshot: this.snapshot,
    });
    await this.write(frameRecords([{ type: RecordType.SegmentHeader, payload: header }]));
    await this.flush();
    await syncDir(this.dir);
  }
}
