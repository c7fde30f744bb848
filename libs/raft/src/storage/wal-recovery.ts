import fs from "node:fs/promises";
import path from "node:path";
import { StorageFormatError } from "../errors.js";
import { checkKeyId, unsupportedFormat } from "./format-errors.js";
import { truncateDurably } from "./fs-util.js";
import type { RecordCipher } from "./record-cipher.js";
import { ReplayLog } from "./replay-log.js";
import { WAL_VERSION, decodeHardStatePayload, decodeMarker, decodeSegmentHeader, openEntries } from "./wal-payload.js";
import { RecordType } from "./wal-record.js";
import { type ScannedRecord, type SegmentFile, corruptAt, scanSegment } from "./wal-segment.js";

/** The outcome of replaying every segment of a WAL. */
export interface RecoveredSegments {
  readonly log: ReplayLog;
  /** Size of the last segment after any torn tail was cut off. */
  readonly lastSize: number;
  /** The last segment lost even its header (a crash while it was created): it is empty and needs a new one. */
  readonly lastNeedsHeader: boolean;
  readonly warnings: string[];
}

/**
 * Replays `segments` (oldest first, at least one) into a {@link ReplayLog}, opening entries records with `cipher`.
 * A torn tail of the last segment (a record whose checksums fail, with nothing valid after it) is cut off (file
 * truncated and fsynced) and reported as a warning. Any other damage throws RaftCorruptionError, including an
 * entries record whose checksums pass but which does not open: that is no torn write but an altered or moved
 * record. A segment of another format version throws StorageFormatError, one sealed with another key
 * StorageKeyError; both before anything is truncated.
 */
export async function replaySegments(
  dir: string,
  segments: readonly SegmentFile[],
  cipher: RecordCipher,
): Promise<RecoveredSegments> {
  let log: ReplayLog | null = null;
  const warnings: string[] = [];
  let lastSize = 0;
  let lastNeedsHeader = false;
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k] as SegmentFile;
    const file = path.join(dir, seg.name);
    const isLast = k === segments.length - 1;
    const scanned = scanSegment(file, await fs.readFile(file), isLast);
    const first = scanned.records[0];
    if (first === undefined) {
      if (!isLast) throw corruptAt(file, 0, "the segment has no header");
      if (log === null && seg.firstIndex !== 1) throw corruptAt(file, 0, "the only segment has no header");
      if (log !== null && seg.firstIndex - 1 !== log.lastIndex) {
        const want = log.lastIndex + 1;
        throw corruptAt(file, 0, `the segment has no header and its name says index ${seg.firstIndex}, not ${want}`);
      }
      lastNeedsHeader = true;
    } else {
      log = applyHeader(file, seg, first, log, cipher);
      for (const rec of scanned.records.slice(1)) applyRecord(file, seg.seq, rec, log, cipher);
    }
    if (scanned.torn !== null) {
      await truncateDurably(file, scanned.validEnd);
      warnings.push(
        `raft: WAL segment ${file} had a torn or corrupt tail at offset ${scanned.validEnd} (${scanned.torn}); ` +
          "it was cut off there (a write interrupted by a crash; nothing after it was ever acknowledged as synced)",
      );
    }
    lastSize = scanned.validEnd;
  }
  return { log: log ?? new ReplayLog(), lastSize, lastNeedsHeader, warnings };
}

function applyHeader(
  file: string,
  seg: SegmentFile,
  rec: ScannedRecord,
  log: ReplayLog | null,
  cipher: RecordCipher,
): ReplayLog {
  if (rec.type !== RecordType.SegmentHeader) {
    throw corruptAt(file, 0, `the first record has type ${rec.type}, not a segment header`);
  }
  const h = decode(file, rec, decodeSegmentHeader);
  checkKeyId(file, h.keyId, cipher.keyId);
  if (h.seq !== seg.seq || h.firstIndex !== seg.firstIndex) {
    const says = `segment ${h.seq} from index ${h.firstIndex}`;
    throw corruptAt(file, 0, `the header says ${says}, which does not match the file name`);
  }
  if (log === null) {
    const fresh = new ReplayLog({ index: h.firstIndex - 1, term: h.prevTerm });
    fresh.hardState = h.hardState;
    fresh.snapshot = h.snapshot;
    return fresh;
  }
  if (h.firstIndex - 1 !== log.lastIndex || h.prevTerm !== log.lastTerm) {
    throw corruptAt(
      file,
      0,
      `the header says the log ended at index ${h.firstIndex - 1} (term ${h.prevTerm}) when this segment was created, ` +
        `but the previous segments end at index ${log.lastIndex} (term ${log.lastTerm}): records are missing`,
    );
  }
  return log;
}

function applyRecord(file: string, seq: number, rec: ScannedRecord, log: ReplayLog, cipher: RecordCipher): void {
  switch (rec.type) {
    case RecordType.Entries: {
      const place = { seq, offset: rec.offset };
      const problem = log.appendEntries(decode(file, rec, (p) => openEntries(p, cipher, place)));
      if (problem !== null) throw corruptAt(file, rec.offset, problem);
      return;
    }
    case RecordType.HardState:
      log.hardState = decode(file, rec, decodeHardStatePayload);
      return;
    case RecordType.SnapshotMarker:
      log.applyMarker(decode(file, rec, decodeMarker));
      return;
    case RecordType.SegmentHeader:
      throw corruptAt(file, rec.offset, "a segment header in the middle of a segment");
    default:
      throw corruptAt(file, rec.offset, `unknown record type ${rec.type} (written by a newer version?)`);
  }
}

/**
 * Decodes a checksummed payload; a decode failure there is corruption (or a bug), never a torn write. An
 * unsupported format version is no corruption: it is refused as such, naming the file.
 */
function decode<T>(file: string, rec: ScannedRecord, fn: (payload: Uint8Array) => T): T {
  try {
    return fn(rec.payload);
  } catch (err) {
    if (err instanceof StorageFormatError) throw unsupportedFormat("WAL segment", file, err.version, WAL_VERSION);
    const what = err instanceof Error ? err.message.replace(/^raft: /, "") : String(err);
    throw corruptAt(file, rec.offset, `undecodable record: ${what}`, err);
  }
}
