import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Entry, type HardState, type Snapshot, EntryType } from "../core/types.js";
import { AesGcmRecordCipher, type RecordCipher } from "./record-cipher.js";
import { Wal } from "./wal.js";

/** Helpers shared by the storage tests (not part of the library's API). */

/** Runs `fn` in a fresh temp dir that is removed afterwards, even when `fn` throws. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shoal-raft-storage-"));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** An entry whose data names its index and term, so any mix-up shows in assertions. */
export function ent(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(`e${index}t${term}`) };
}

/** Entries `from..to` (inclusive) at `term`. */
export function ents(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, term));
  return out;
}

export function hs(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

export function snap(index: number, term: number, text = `snap${index}`): Snapshot {
  return {
    meta: { index, term, conf: { voters: [1, 2, 3], learners: [4], removed: [9] } },
    data: new TextEncoder().encode(text),
  };
}

/** Entries as `index@term:data` strings: compact to compare, and the data is checked too. */
export function show(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}@${e.term}:${new TextDecoder().decode(e.data)}`);
}

/** `show(ents(from, to, term))`. */
export function expected(from: number, to: number, term: number): string[] {
  return show(ents(from, to, term));
}

/** An AES-GCM cipher with a fixed key derived from `keyId` (and `variant`, for "same id, another key" cases). */
export function testCipher(keyId = "test-key", variant = 0): AesGcmRecordCipher {
  const key = Buffer.alloc(32);
  Buffer.from(`${keyId}/${variant}`).copy(key);
  return new AesGcmRecordCipher({ keyId, key });
}

/** Whether `haystack` contains the bytes of `text`. */
export function containsText(haystack: Uint8Array, text: string): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).includes(Buffer.from(text));
}

/** Writes `batches` (one synced entries record each) to a new WAL; returns its segment file, bytes and record bounds. */
export async function writeWal(
  dir: string,
  batches: Entry[][],
  cipher: RecordCipher,
): Promise<{ file: string; bounds: number[]; bytes: Buffer }> {
  const { wal } = await Wal.open(dir, undefined, { cipher });
  const file = path.join(dir, wal.segmentNames()[0] as string);
  const bounds = [(await fs.stat(file)).size];
  for (const b of batches) {
    await wal.append({ entries: b }, true);
    bounds.push((await fs.stat(file)).size);
  }
  await wal.close();
  return { file, bounds, bytes: await fs.readFile(file) };
}
