import { crc32 } from "./crc.js";

/**
 * Framing of WAL records. Each record is
 *
 *     u32 LE payload length | u8 type | u32 LE CRC-32 of payload | u32 LE CRC-32 of the 9 bytes before | payload
 *
 * The header has its own checksum so that a reader can tell a damaged length from a damaged payload, and can scan
 * past a bad record cheaply (check a type byte, then 9 bytes of CRC) to learn whether valid records follow it:
 * that is what separates a torn tail (cut off) from corruption in the middle (refuse to start).
 *
 * CRCs are NOT chained across records as etcd does. A chain detects dropped records, but it also makes every record
 * after a damaged one unverifiable, so recovery could not tell a torn tail from damage followed by synced data.
 * Dropped records are caught instead by index continuity: an entries record must start at or before the last
 * index + 1, and every segment header restates the index and term at which the previous segment ended.
 */

/** Bytes before a record's payload. */
export const RECORD_HEADER_BYTES = 13;

/** Record types. 0 is never valid, so a zero-filled region never parses as a record. */
export const RecordType = {
  /** First record of every segment: magic, version, where the segment starts, hard state, snapshot marker. */
  SegmentHeader: 1,
  /** A batch of entries (overwrite semantics: index i replaces i and everything after it). */
  Entries: 2,
  HardState: 3,
  /** "A snapshot at (index, term) exists"; optionally "and the log before it was discarded". */
  SnapshotMarker: 4,
} as const;

/** One of the {@link RecordType} values. */
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

const MAX_TYPE: number = RecordType.SnapshotMarker;

/** One record to frame; a payload given as parts is framed as their concatenation, without joining them first. */
export interface RawRecord {
  readonly type: RecordType;
  readonly payload: Uint8Array | readonly Uint8Array[];
}

/** The payload's parts, and their total length. */
function partsOf(r: RawRecord): { parts: readonly Uint8Array[]; length: number } {
  const parts = r.payload instanceof Uint8Array ? [r.payload] : r.payload;
  let length = 0;
  for (const p of parts) length += p.byteLength;
  return { parts, length };
}

/** The framed size of `record`: header and payload. */
export function framedSize(record: RawRecord): number {
  return RECORD_HEADER_BYTES + partsOf(record).length;
}

/** Frames `records` into ONE buffer, ready for a single write. */
export function frameRecords(records: readonly RawRecord[]): Buffer {
  const split = records.map(partsOf);
  let size = 0;
  for (const s of split) size += RECORD_HEADER_BYTES + s.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  records.forEach((r, k) => {
    const { parts, length } = split[k] as { parts: readonly Uint8Array[]; length: number };
    out.writeUInt32LE(length, pos);
    out[pos + 4] = r.type;
    let crc = 0;
    let at = pos + RECORD_HEADER_BYTES;
    for (const p of parts) {
      crc = crc32(p, crc);
      out.set(p, at);
      at += p.byteLength;
    }
    out.writeUInt32LE(crc, pos + 5);
    out.writeUInt32LE(crc32(out.subarray(pos, pos + 9)), pos + 9);
    pos = at;
  });
  return out;
}

/**
 * The outcome of reading the record at some offset. A bad record says what is wrong and, when its header checked
 * out (so its length can be trusted), where it would have ended.
 */
export type RecordRead =
  | { readonly ok: true; readonly type: number; readonly payload: Uint8Array; readonly end: number }
  | { readonly ok: false; readonly problem: string; readonly end: number | null };

/** Reads and verifies the record at `pos`. Never throws; unknown types with valid checksums are returned as ok. */
export function readRecordAt(buf: Buffer, pos: number): RecordRead {
  const left = buf.length - pos;
  if (left < RECORD_HEADER_BYTES) {
    return {
      ok: false,
      problem: `only ${left} bytes left, less than a record header (${RECORD_HEADER_BYTES})`,
      end: null,
    };
  }
  if (crc32(buf.subarray(pos, pos + 9)) !== buf.readUInt32LE(pos + 9)) {
    return { ok: false, problem: "record header checksum mismatch", end: null };
  }
  const length = buf.readUInt32LE(pos);
  const end = pos + RECORD_HEADER_BYTES + length;
  if (end > buf.length) {
    const have = left - RECORD_HEADER_BYTES;
    return {
      ok: false,
      problem: `record payload of ${length} bytes runs past the end of the file (${have} left)`,
      end,
    };
  }
  const payload = buf.subarray(pos + RECORD_HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(pos + 5)) {
    return { ok: false, problem: "record payload checksum mismatch", end };
  }
  return { ok: true, type: buf[pos + 4] as number, payload, end };
}

/** The offset of the first fully valid record starting at or after `from`, or -1 if there is none. */
export function findValidRecord(buf: Buffer, from: number): number {
  for (let pos = from; pos + RECORD_HEADER_BYTES <= buf.length; pos++) {
    const type = buf[pos + 4] as number;
    if (type === 0 || type > MAX_TYPE) continue;
    if (readRecordAt(buf, pos).ok) return pos;
  }
  return -1;
}

/** Whether every byte of `buf` from `from` on is zero (a preallocated or never-written tail). */
export function isZeroFrom(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
