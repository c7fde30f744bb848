import fs from "node:fs/promises";
import { RaftCorruptionError } from "../errors.js";
import { findValidRecord, isZeroFrom, readRecordAt } from "./wal-record.js";

/**
 * WAL segment files: naming, listing, and scanning one file into records. A segment is named
 * `<seq>-<firstIndex>.wal`, both as 16 lower-case hex digits (as etcd does), e.g. `0000000000000001-0000000000000001.wal`:
 * `seq` counts segments from 1 without gaps, `firstIndex` is the first raft index the segment may hold.
 */

/** A segment file found in the WAL directory. */
export interface SegmentFile {
  readonly seq: number;
  readonly firstIndex: number;
  readonly name: string;
}

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

/** The file name of segment `seq` whose first index is `firstIndex`. */
export function segmentName(seq: number, firstIndex: number): string {
  return `${seq.toString(16).padStart(16, "0")}-${firstIndex.toString(16).padStart(16, "0")}.wal`;
}

/** Parses a segment file name; null for any other file. */
export function parseSegmentName(name: string): SegmentFile | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { seq: parseInt(m[1] as string, 16), firstIndex: parseInt(m[2] as string, 16), name };
}

/** What restoring a data dir takes; appended to every corruption message. */
export const RESTORE_ADVICE =
  "The data dir must be restored from a backup, or this member removed from the cluster and re-added with an empty data dir";

/** A {@link RaftCorruptionError} naming the file, the offset and what is wrong. */
export function corruptAt(file: string, offset: number, what: string, cause?: unknown): RaftCorruptionError {
  const msg = `raft: WAL segment ${file} is corrupt at offset ${offset}: ${what}. ${RESTORE_ADVICE}`;
  return cause === undefined ? new RaftCorruptionError(msg) : new RaftCorruptionError(msg, { cause });
}

/** The segments in `dir`, oldest first. Throws {@link RaftCorruptionError} when a sequence number is missing. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const found: SegmentFile[] = [];
  for (const name of await fs.readdir(dir)) {
    const seg = parseSegmentName(name);
    if (seg) found.push(seg);
  }
  found.sort((a, b) => a.seq - b.seq);
  for (let k = 1; k < found.length; k++) {
    const prev = found[k - 1] as SegmentFile;
    const seg = found[k] as SegmentFile;
    if (seg.seq !== prev.seq + 1) {
      throw new RaftCorruptionError(
        `raft: WAL in ${dir} is missing segment(s) between ${prev.name} and ${seg.name}. ${RESTORE_ADVICE}`,
      );
    }
  }
  return found;
}

/** One valid record found in a segment. */
export interface ScannedRecord {
  readonly offset: number;
  readonly type: number;
  readonly payload: Uint8Array;
}

/** The records of one segment; `torn` describes a bad tail (of the last segment only) that must be cut at `validEnd`. */
export interface ScannedSegment {
  readonly records: ScannedRecord[];
  readonly validEnd: number;
  readonly torn: string | null;
}

/**
 * Splits a segment's bytes into valid records. A bad record with nothing valid after it, in the LAST segment, is a
 * torn tail (a crash mid-write, or a preallocated zero-filled tail) and is reported in `torn`. A bad record followed
 * by a valid one, or in any other segment, throws {@link RaftCorruptionError}: data that may have been synced is
 * damaged and must not be dropped silently.
 * NB: a power loss can persist the later pages of an unsynced write without its earlier ones; that too looks like
 * damage followed by valid data and is refused: safe (nothing synced is dropped) but it needs an operator.
 */
export function scanSegment(file: string, buf: Buffer, isLast: boolean): ScannedSegment {
  const records: ScannedRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = readRecordAt(buf, pos);
    if (r.ok) {
      records.push({ offset: pos, type: r.type, payload: r.payload });
      pos = r.end;
      continue;
    }
    const problem = isZeroFrom(buf, pos) ? `zero-filled tail of ${buf.length - pos} bytes` : r.problem;
    // A trusted header gives the record's end; otherwise any byte after its start may begin the next record.
    const next = findValidRecord(buf, r.end ?? pos + 1);
    if (next >= 0) throw corruptAt(file, pos, `${problem}, yet a valid record follows at offset ${next}`);
    if (!isLast) throw corruptAt(file, pos, `${problem}, in a segment that is not the last one`);
    return { records, validEnd: pos, torn: problem };
  }
  return { records, validEnd: pos, torn: null };
}
