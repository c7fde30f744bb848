import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { RaftCorruptionError, StorageKeyError } from "../errors.js";
import { crc32 } from "./crc.js";
import { PLAIN_RECORDS } from "./record-cipher.js";
import { containsText, ents, expected, show, testCipher, withTempDir, writeWal } from "./storage-test-util.js";
import { Wal } from "./wal.js";
import { RECORD_HEADER_BYTES } from "./wal-record.js";

// The WAL with a sealing cipher: what an attacker or a mix-up can do to sealed records, and what recovery makes of
// it. Torn tails with a cipher are covered by wal-recovery.test.ts, which runs with both ciphers.

const CIPHER = testCipher();
const FIVE_BATCHES = [ents(1, 2, 1), ents(3, 4, 1), ents(5, 6, 1), ents(7, 8, 1), ents(9, 10, 1)];

/** Recomputes both checksums of the record at `pos`, as someone who alters a record on purpose would. */
function reframe(bytes: Buffer, pos: number): void {
  const end = pos + RECORD_HEADER_BYTES + bytes.readUInt32LE(pos);
  bytes.writeUInt32LE(crc32(bytes.subarray(pos + RECORD_HEADER_BYTES, end)), pos + 5);
  bytes.writeUInt32LE(crc32(bytes.subarray(pos, pos + 9)), pos + 9);
}

async function openFails(dir: string, file: string, offset: number, what: RegExp, cipher = CIPHER): Promise<void> {
  await assert.rejects(Wal.open(dir, undefined, { cipher }), (err: unknown) => {
    assert.ok(err instanceof RaftCorruptionError, String(err));
    assert.match(err.message, new RegExp(`WAL segment ${file} is corrupt at offset ${offset}: `));
    assert.match(err.message, what);
    return true;
  });
}

describe("Wal with a sealing cipher", () => {
  it("round-trips entries across a reopen, and no entry's bytes are in the segment", () =>
    withTempDir(async (dir) => {
      const { bytes } = await writeWal(dir, FIVE_BATCHES, CIPHER);
      const { wal, recovery } = await Wal.open(dir, undefined, { cipher: CIPHER });
      await wal.close();
      assert.deepEqual(show(recovery.entries), expected(1, 10, 1));
      for (let i = 1; i <= 10; i++) assert.ok(!containsText(bytes, `e${i}t1`), `entry ${i} is in the clear`);
      // The control: without the cipher the same entries are in the clear, so the check above can fail.
      const plain = await writeWal(path.join(dir, "plain"), FIVE_BATCHES, PLAIN_RECORDS);
      assert.ok(containsText(plain.bytes, "e7t1"));
    }));

  it("refuses a record altered with its checksums fixed, even the last one: no torn tail, nothing cut", () =>
    withTempDir(async (dir) => {
      const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, CIPHER);
      for (const rec of [1, 4]) {
        const start = bounds[rec] as number;
        // The last byte of the ciphertext's tag and a byte in the middle of the record.
        for (const at of [(bounds[rec + 1] as number) - 1, start + RECORD_HEADER_BYTES + 8]) {
          const altered = Buffer.from(bytes);
          altered[at] = (altered[at] as number) ^ 0x01;
          reframe(altered, start);
          await fs.writeFile(file, altered);
          await openFails(dir, file, start, /undecodable record: record does not open with key test-key: altered/);
          assert.deepEqual(await fs.readFile(file), altered, "nothing was truncated");
        }
      }
    }));

  it("refuses a record moved to another offset, naming file and offset", () =>
    withTempDir(async (dir) => {
      // Batches of one entry whose data has the same length: records of the same size, so swapping two keeps the
      // segment's framing intact and only the sealing can notice.
      const { file, bounds, bytes } = await writeWal(dir, [ents(1, 1, 1), ents(2, 2, 1), ents(3, 3, 1)], CIPHER);
      const [a, b, c] = [bounds[1] as number, bounds[2] as number, bounds[3] as number];
      assert.equal(b - a, c - b, "records of the same size");
      const swapped = Buffer.concat([bytes.subarray(0, a), bytes.subarray(b, c), bytes.subarray(a, b)]);
      await fs.writeFile(file, swapped);
      await openFails(dir, file, a, /does not open with key test-key/);
      // A record replayed at the end of the segment (a copy of an older one) does not open there either.
      await fs.writeFile(file, Buffer.concat([bytes, bytes.subarray(a, b)]));
      await openFails(dir, file, c, /does not open with key test-key/);
    }));

  it("refuses a segment written with another key id, naming both ids and the file, and changes nothing", () =>
    withTempDir(async (dir) => {
      const { file, bytes } = await writeWal(dir, FIVE_BATCHES, CIPHER);
      for (const other of [testCipher("other-key"), PLAIN_RECORDS]) {
        await assert.rejects(Wal.open(dir, undefined, { cipher: other }), (err: unknown) => {
          assert.ok(err instanceof StorageKeyError);
          assert.equal(err.code, "SHOAL_ERR_STORAGE_KEY");
          assert.deepEqual([err.file, err.fileKeyId, err.keyId], [file, "test-key", other.keyId]);
          assert.match(err.message, new RegExp(`${file} is sealed with data key test-key, but this member's key is`));
          return true;
        });
      }
      await assert.rejects(Wal.open(dir), StorageKeyError, "a sealed WAL is refused without a cipher too");
      assert.deepEqual(await fs.readFile(file), bytes);
    }));

  it("a key with the right id but other bytes opens nothing: corruption at the first entries record", () =>
    withTempDir(async (dir) => {
      const { file, bounds } = await writeWal(dir, FIVE_BATCHES, CIPHER);
      await openFails(dir, file, bounds[0] as number, /does not open/, testCipher("test-key", 1));
    }));
});
