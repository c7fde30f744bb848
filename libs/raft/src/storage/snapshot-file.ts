import { ByteReader, ByteWriter } from "../codec/bytes.js";
import { readSnapshotMeta, writeSnapshotMeta } from "../codec/codec.js";
import type { Snapshot, SnapshotMeta } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { crc32 } from "./crc.js";

/**
 * The snapshot file format. A file is named `<term>-<index>.snap` (16 lower-case hex digits each, as etcd does) and
 * holds
 *
 *     "RSNP" | u8 version | u32 LE CRC-32 of everything after byte 9 | u32 LE meta length | SnapshotMeta | data
 *
 * The CRC covers the metadata and the data, so any flipped or missing byte is detected.
 */

const MAGIC = Uint8Array.of(0x52, 0x53, 0x4e, 0x50);
/** On-disk format version of snapshot files. */
export const SNAPSHOT_VERSION = 1;
const HEADER_BYTES = 13;

/** A snapshot file's place in the log, parsed from its name. */
export interface SnapshotFileInfo {
  readonly term: number;
  readonly index: number;
  readonly name: string;
}

const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

/** The file name of a snapshot at `meta`. */
export function snapshotFileName(meta: Pick<SnapshotMeta, "index" | "term">): string {
  return `${meta.term.toString(16).padStart(16, "0")}-${meta.index.toString(16).padStart(16, "0")}.snap`;
}

/** Parses a snapshot file name; null for any other file. */
export function parseSnapshotFileName(name: string): SnapshotFileInfo | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return { term: parseInt(m[1] as string, 16), index: parseInt(m[2] as string, 16), name };
}

/** Orders snapshot positions newest first: higher index, then higher term. */
export function newestFirst(a: Pick<SnapshotMeta, "index" | "term">, b: Pick<SnapshotMeta, "index" | "term">): number {
  return b.index - a.index || b.term - a.term;
}

/** The bytes that precede `snap.data` in its file (header and metadata); write them, then the data. */
export function encodeSnapshotHead(snap: Snapshot): Uint8Array {
  const meta = new ByteWriter(64);
  writeSnapshotMeta(meta, snap.meta);
  const metaBytes = meta.finish();
  const head = Buffer.alloc(HEADER_BYTES + metaBytes.byteLength);
  head.set(MAGIC, 0);
  head[4] = SNAPSHOT_VERSION;
  head.writeUInt32LE(metaBytes.byteLength, 9);
  head.set(metaBytes, HEADER_BYTES);
  head.writeUInt32LE(crc32(snap.data, crc32(head.subarray(9))), 5);
  return head;
}

/**
 * Decodes a snapshot file's bytes, checking magic, version, CRC and that the metadata matches the file name.
 * Throws {@link RaftCorruptionError} saying what is wrong. `data` is a view into `buf` (no copy).
 */
export function decodeSnapshotFile(buf: Buffer, expect: Pick<SnapshotMeta, "index" | "term">): Snapshot {
  const bad = (what: string): RaftCorruptionError => new RaftCorruptionError(`raft: ${what}`);
  if (buf.length < HEADER_BYTES) throw bad(`file is ${buf.length} bytes, shorter than a snapshot header`);
  if (!MAGIC.every((b, i) => buf[i] === b)) throw bad("bad magic: not a snapshot file");
  if (buf[4] !== SNAPSHOT_VERSION) throw bad(`snapshot format version ${buf[4]} is not supported`);
  if (crc32(buf.subarray(9)) !== buf.readUInt32LE(5)) throw bad("checksum mismatch");
  const metaEnd = HEADER_BYTES + buf.readUInt32LE(9);
  if (metaEnd > buf.length) throw bad("metadata runs past the end of the file");
  const r = new ByteReader(buf.subarray(HEADER_BYTES, metaEnd));
  const meta = readSnapshotMeta(r);
  r.end();
  if (meta.index !== expect.index || meta.term !== expect.term) {
    const named = `index ${expect.index} term ${expect.term}`;
    throw bad(`metadata says index ${meta.index} term ${meta.term}, the file name ${named}`);
  }
  return { meta, data: new Uint8Array(buf.buffer, buf.byteOffset + metaEnd, buf.length - metaEnd) };
}
