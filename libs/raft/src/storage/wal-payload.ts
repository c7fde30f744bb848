import { ByteReader, ByteWriter } from "../codec/bytes.js";
import { readEntry, readHardState, writeEntry, writeHardState } from "../codec/codec.js";
import type { Entry, HardState } from "../core/types.js";
import { RaftCorruptionError, StorageFormatError } from "../errors.js";
import { type RecordCipher, walEntriesAad } from "./record-cipher.js";
import type { LogPosition, SnapshotMarker } from "./replay-log.js";
import { RecordType } from "./wal-record.js";

/**
 * Payload codecs of the WAL record types (framing is in wal-record.ts). Decoders throw {@link RaftCorruptionError}
 * on malformed input; the WAL reader adds the file and offset.
 */

/** "RWAL": the first bytes of every segment header payload. */
const MAGIC = Uint8Array.of(0x52, 0x57, 0x41, 0x4c);
/**
 * On-disk format version of the WAL; bump on any incompatible change. 2: entries records are sealed with a
 * {@link RecordCipher} and segment headers name its key id.
 */
export const WAL_VERSION = 2;

const FLAG_RESETS_LOG = 1;

/** The first record of every segment. Old segments can be deleted because this restates what they held. */
export interface SegmentHeader {
  /** The id of the key the segment's entries records are sealed with. */
  readonly keyId: string;
  readonly seq: number;
  /** The first raft index the segment may hold; the log ended at `firstIndex - 1` when it was created. */
  readonly firstIndex: number;
  /** The term of entry `firstIndex - 1` (0 for an empty log). */
  readonly prevTerm: number;
  readonly hardState: HardState;
  readonly snapshot: LogPosition | null;
}

/** Payload of an entries record: a count, then each entry (codec.ts writeEntry). */
export function encodeEntries(entries: readonly Entry[]): Uint8Array {
  let size = 8;
  for (const e of entries) size += e.data.byteLength + 24;
  const w = new ByteWriter(size);
  w.uvarint(entries.length);
  for (const e of entries) writeEntry(w, e);
  return w.finish();
}

/** Where a record lies: its segment and its offset there (part of an entries record's associated data). */
export interface RecordPlace {
  readonly seq: number;
  readonly offset: number;
}

/**
 * Payload of a sealed entries record: the first index (plain, as it is part of the associated data), then the
 * batch (see {@link encodeEntries}) sealed for `place`. Returned as parts to frame without joining them.
 */
export function sealEntries(entries: readonly Entry[], cipher: RecordCipher, place: RecordPlace): Uint8Array[] {
  const first = (entries[0] as Entry).index;
  const aad = walEntriesAad(place.seq, RecordType.Entries, place.offset, first);
  return [new ByteWriter(8).uvarint(first).finish(), ...cipher.seal(encodeEntries(entries), aad)];
}

/**
 * Opens and decodes a sealed entries record found at `place`. Throws {@link RaftCorruptionError} when it does
 * not open there (altered, moved, or sealed with another key) or does not start at the index it names.
 */
export function openEntries(payload: Uint8Array, cipher: RecordCipher, place: RecordPlace): Entry[] {
  const r = new ByteReader(payload);
  const first = r.uvarint();
  const sealed = payload.subarray(payload.byteLength - r.remaining);
  const entries = decodeEntries(cipher.open(sealed, walEntriesAad(place.seq, RecordType.Entries, place.offset, first)));
  if (entries[0]?.index !== first) {
    throw new RaftCorruptionError(`raft: entries record names first index ${first} but holds ${entries[0]?.index}`);
  }
  return entries;
}

/** Decodes an entries batch; each entry's data is copied out of the (large) buffer it was read from. */
export function decodeEntries(payload: Uint8Array): Entry[] {
  const r = new ByteReader(payload);
  const n = r.uvarint();
  if (n > r.remaining) throw new RaftCorruptionError(`raft: entry count ${n} is larger than its record`);
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const e = readEntry(r);
    out.push({ ...e, data: new Uint8Array(e.data) });
  }
  r.end();
  return out;
}

/** Payload of a hard state record. */
export function encodeHardStatePayload(hs: HardState): Uint8Array {
  const w = new ByteWriter(32);
  writeHardState(w, hs);
  return w.finish();
}

/** Decodes a hard state record's payload; the whole payload must be consumed. */
export function decodeHardStatePayload(payload: Uint8Array): HardState {
  const r = new ByteReader(payload);
  const hs = readHardState(r);
  r.end();
  return hs;
}

function writeMarker(w: ByteWriter, m: SnapshotMarker): void {
  w.uvarint(m.index)
    .uvarint(m.term)
    .u8(m.resetsLog ? FLAG_RESETS_LOG : 0);
}

function readMarker(r: ByteReader): SnapshotMarker {
  const index = r.uvarint();
  const term = r.uvarint();
  const flags = r.u8();
  if ((flags & ~FLAG_RESETS_LOG) !== 0) throw new RaftCorruptionError(`raft: unknown snapshot marker flags ${flags}`);
  return { index, term, resetsLog: (flags & FLAG_RESETS_LOG) !== 0 };
}

/** Payload of a snapshot marker record: index, term, flags (bit 0: the marker resets the log). */
export function encodeMarker(m: SnapshotMarker): Uint8Array {
  const w = new ByteWriter(24);
  writeMarker(w, m);
  return w.finish();
}

/** Decodes a snapshot marker record's payload; unknown flags are corruption. */
export function decodeMarker(payload: Uint8Array): SnapshotMarker {
  const r = new ByteReader(payload);
  const m = readMarker(r);
  r.end();
  return m;
}

/**
 * Payload of a segment header: magic, version, key id, seq, first index, previous term, hard state, snapshot
 * marker. Plain: it holds no secrets, and a reader must learn the key id before it can open anything.
 */
export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const w = new ByteWriter(96);
  w.raw(MAGIC)
    .u8(WAL_VERSION)
    .bytes(new TextEncoder().encode(h.keyId))
    .uvarint(h.seq)
    .uvarint(h.firstIndex)
    .uvarint(h.prevTerm);
  writeHardState(w, h.hardState);
  w.u8(h.snapshot ? 1 : 0);
  if (h.snapshot) w.uvarint(h.snapshot.index).uvarint(h.snapshot.term);
  return w.finish();
}

/**
 * Decodes a segment header, checking magic and version: another version throws {@link StorageFormatError} (its
 * `file` is left empty for the caller to name).
 */
export function decodeSegmentHeader(payload: Uint8Array): SegmentHeader {
  const r = new ByteReader(payload);
  for (const b of MAGIC) {
    if (r.u8() !== b) throw new RaftCorruptionError("raft: bad magic: not a WAL segment header");
  }
  const version = r.u8();
  if (version !== WAL_VERSION) throw new StorageFormatError("", version, `raft: WAL format version ${version}`);
  const keyId = new TextDecoder("utf-8", { fatal: true }).decode(r.bytes());
  const seq = r.uvarint();
  const firstIndex = r.uvarint();
  const prevTerm = r.uvarint();
  const hardState = readHardState(r);
  const hasSnapshot = r.u8();
  if (hasSnapshot > 1) throw new RaftCorruptionError(`raft: bad snapshot flag ${hasSnapshot} in segment header`);
  const snapshot = hasSnapshot === 1 ? { index: r.uvarint(), term: r.uvarint() } : null;
  r.end();
  return { keyId, seq, firstIndex, prevTerm, hardState, snapshot };
}
