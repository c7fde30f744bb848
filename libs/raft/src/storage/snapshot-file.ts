import { ByteReader, ByteWriter } from "../codec/bytes.js";
import { readSnapshotMeta, writeSnapshotMeta } from "../codec/codec.js";
import type { Snapshot, SnapshotMeta } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { crc32 } from "./crc.js";
import { checkKeyId, unsupportedFormat } from "./format-errors.js";
import { type RecordCipher, snapshotAad } from "./record-cipher.js";

/**
 * The snapshot file format. A file is named `<term>-<index>.snap` (16 lower-case hex digits each, as etcd does) and
 * holds
 *
 *     "RSNP" | u8 version | u32 LE CRC-32 of everything after byte 9 | u32 LE head length | head | sealed data
 *
 * where the head is the key id (length-prefixed) and the SnapshotMeta, both plain, and the data is sealed with a
 * {@link RecordCipher} bound to the metadata (see {@link snapshotAad}). The CRC covers head and sealed data, so
 * a flipped or missing byte is detected as corruption before the data is opened.
 */

const MAGIC = Uint8Array.of(0x52, 0x53, 0x4e, 0x50);
/** On-disk format version of snapshot files. 2: the data is sealed and the head names the key id. */
export const SNAPSHOT_VERSION = 2;
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

/**
 * A snapshot file's bytes as parts to write one after the other: the header and head, then the sealed data (so
 * the data is not copied into one buffer with the head).
 */
export function encodeSnapshotFile(snap: Snapshot, cipher: RecordCipher): Uint8Array[] {
  const w = new ByteWriter(96);
  w.bytes(new TextEncoder().encode(cipher.keyId));
  const metaStart = w.length;
  writeSnapshotMeta(w, snap.meta);
  const headBytes = w.finish();
  const aad = snapshotAad(snap.meta.term, snap.meta.index, headBytes.subarray(metaStart));
  const sealed = cipher.seal(snap.data, aad);
  const head = Buffer.alloc(HEADER_BYTES + headBytes.byteLength);
  head.set(MAGIC, 0);
  head[4] = SNAPSHOT_VERSION;
  head.writeUInt32LE(headBytes.byteLength, 9);
  head.set(headBytes, HEADER_BYTES);
  let crc = crc32(head.subarray(9));
  for (const part of sealed) crc = crc32(part, crc);
  head.writeUInt32LE(crc, 5);
  return [head, ...sealed];
}

/**
 * Decodes the bytes of snapshot file `file`, checking magic, version, CRC, key id and that the metadata matches
 * the file name, then opens the data with `cipher`. Throws {@link RaftCorruptionError} saying what is wrong;
 * StorageFormatError for another format version and StorageKeyError for another key, which are no corruption.
 */
export function decodeSnapshotFile(
  buf: Buffer,
  expect: Pick<SnapshotMeta, "index" | "term">,
  cipher: RecordCipher,
  file: string,
): Snapshot {
  const bad = (what: string): RaftCorruptionError => new RaftCorruptionError(`raft: ${what}`);
  if (buf.length < HEADER_BYTES) throw bad(`file is ${buf.length} bytes, shorter than a snapshot header`);
  if (!MAGIC.every((b, i) => buf[i] === b)) throw bad("bad magic: not a snapshot file");
  const version = buf[4] as number;
  if (version !== SNAPSHOT_VERSION) throw unsupportedFormat("snapshot", file, version, SNAPSHOT_VERSION);
  if (crc32(buf.subarray(9)) !== buf.readUInt32LE(5)) throw bad("checksum mismatch");
  const headEnd = HEADER_BYTES + buf.readUInt32LE(9);
  if (headEnd > buf.length) throw bad("metadata runs past the end of the file");
  const head = buf.subarray(HEADER_BYTES, headEnd);
  const r = new ByteReader(head);
  const keyId = readKeyId(r);
  const metaBytes = head.subarray(head.length - r.remaining);
  const meta = readSnapshotMeta(r);
  r.end();
  if (meta.index !== expect.index || meta.term !== expect.term) {
    const named = `index ${expect.index} term ${expect.term}`;
    throw bad(`metadata says index ${meta.index} term ${meta.term}, the file name ${named}`);
  }
  checkKeyId(file, keyId, cipher.keyId);
  const data = cipher.open(buf.subarray(headEnd), snapshotAad(meta.term, meta.index, metaBytes));
  return { meta, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function readKeyId(r: ByteReader): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(r.bytes());
}

/**
 * The key id named by the first bytes of snapshot file `file`, read without the rest of the file; null when they
 * are too short or not a snapshot's. Throws StorageFormatError for another format version.
 */
export function snapshotKeyId(start: Buffer, file: string): string | null {
  if (start.length < HEADER_BYTES + 1 || !MAGIC.every((b, i) => start[i] === b)) return null;
  const version = start[4] as number;
  if (version !== SNAPSHOT_VERSION) throw unsupportedFormat("snapshot", file, version, SNAPSHOT_VERSION);
  try {
    return readKeyId(new ByteReader(start.subarray(HEADER_BYTES)));
  } catch {
    return null;
  }
}
