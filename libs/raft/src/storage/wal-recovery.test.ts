import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { RaftCorruptionError } from "../errors.js";
import { PLAIN_RECORDS, type RecordCipher } from "./record-cipher.js";
import { ent, ents, expected, hs, show, testCipher, withTempDir, writeWal } from "./storage-test-util.js";
import { Wal, type WalRecovery } from "./wal.js";
import { parseSegmentName } from "./wal-segment.js";

/** Replaces the segment's bytes, opens the WAL, closes it again and returns what it recovered. */
async function recoverFrom(dir: string, file: string, bytes: Uint8Array, cipher: RecordCipher): Promise<WalRecovery> {
  await fs.writeFile(file, bytes);
  const { wal, recovery } = await Wal.open(dir, undefined, { cipher });
  await wal.close();
  return recovery;
}

const FIVE_BATCHES = [ents(1, 2, 1), ents(3, 4, 1), ents(5, 6, 1), ents(7, 8, 1), ents(9, 10, 1)];

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] as number) ^ 0x5a;
  return copy;
}

// Every case runs without and with sealing: a sealed record is longer and its payload is ciphertext, and torn
// tails must still be told from corruption.
for (const [name, cipher] of [
  ["plain", PLAIN_RECORDS],
  ["sealed", testCipher()],
] as const) {
  describe(`Wal recovery (${name})`, () => {
    it("cuts a torn last record at every byte offset, with a warning naming file and offset", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        const [lastStart, end] = [bounds[4] as number, bounds[5] as number];
        for (let cut = lastStart + 1; cut < end; cut++) {
          const rec = await recoverFrom(dir, file, bytes.subarray(0, cut), cipher);
          assert.deepEqual(show(rec.entries), expected(1, 8, 1), `cut at ${cut}`);
          assert.equal(rec.warnings.length, 1, `cut at ${cut}`);
          assert.match(
            rec.warnings[0] as string,
            new RegExp(`${path.basename(file)} had a torn .* at offset ${lastStart} `),
          );
          assert.equal((await fs.stat(file)).size, lastStart, `file truncated at the record start (cut ${cut})`);
        }
        // The truncation is durable and the WAL is writable again.
        const { wal, recovery } = await Wal.open(dir, undefined, { cipher });
        assert.deepEqual(recovery.warnings, []);
        await wal.append({ entries: ents(9, 9, 2) }, true);
        await wal.close();
        const clean = await recoverFrom(dir, file, await fs.readFile(file), cipher);
        assert.deepEqual(show(clean.entries), [...expected(1, 8, 1), ...expected(9, 9, 2)]);
      }));

    it("a cut exactly at a record boundary needs no repair", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        const rec = await recoverFrom(dir, file, bytes.subarray(0, bounds[3]), cipher);
        assert.deepEqual(show(rec.entries), expected(1, 6, 1));
        assert.deepEqual(rec.warnings, []);
      }));

    it("cuts off a last record with any flipped byte, with a warning", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        const [lastStart, end] = [bounds[4] as number, bounds[5] as number];
        for (let at = lastStart; at < end; at++) {
          const rec = await recoverFrom(dir, file, flipped(bytes, at), cipher);
          assert.deepEqual(show(rec.entries), expected(1, 8, 1), `flip at ${at}`);
          assert.match(rec.warnings[0] ?? "", new RegExp(`offset ${lastStart} .*checksum mismatch`), `flip at ${at}`);
          assert.equal((await fs.stat(file)).size, lastStart);
        }
      }));

    it("refuses to start when a damaged record is followed by valid ones, naming file and offset", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        // Every byte of the header and of the first three entry records.
        for (let rec = 0; rec < 4; rec++) {
          const [start, end] = [rec === 0 ? 0 : (bounds[rec - 1] as number), bounds[rec] as number];
          for (let at = start; at < end; at++) {
            await fs.writeFile(file, flipped(bytes, at));
            await assert.rejects(Wal.open(dir, undefined, { cipher }), (err: unknown) => {
              assert.ok(err instanceof RaftCorruptionError, `flip at ${at}`);
              assert.match(err.message, new RegExp(`${path.basename(file)} is corrupt at offset ${start}: `));
              assert.match(err.message, /a valid record follows at offset \d+/);
              assert.match(err.message, /restored from a backup, or this member removed from the cluster and re-added/);
              return true;
            });
            assert.deepEqual(await fs.readFile(file), flipped(bytes, at), "nothing was truncated");
          }
        }
      }));

    it("detects a record dropped from the middle (no CRC chain needed)", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        const holed = Buffer.concat([bytes.subarray(0, bounds[2]), bytes.subarray(bounds[3])]);
        await fs.writeFile(file, holed);
        await assert.rejects(
          Wal.open(dir, undefined, { cipher }),
          // Sealed, the record after the hole is not where it was written, so it does not even open.
          new RegExp(
            `corrupt at offset ${bounds[2]}: ` +
              (name === "plain" ? "entry 7 does not follow the last index 4" : "undecodable record: .*does not open"),
          ),
        );
      }));

    it("cuts off a zero-filled tail (preallocation after a crash)", () =>
      withTempDir(async (dir) => {
        const { file, bounds, bytes } = await writeWal(dir, FIVE_BATCHES, cipher);
        const whole = await recoverFrom(dir, file, Buffer.concat([bytes, Buffer.alloc(4096)]), cipher);
        assert.deepEqual(show(whole.entries), expected(1, 10, 1));
        assert.match(whole.warnings[0] ?? "", /zero-filled tail of 4096 bytes/);
        assert.equal((await fs.stat(file)).size, bytes.length);

        const torn = Buffer.concat([bytes.subarray(0, (bounds[4] as number) + 6), Buffer.alloc(4096)]);
        const partial = await recoverFrom(dir, file, torn, cipher);
        assert.deepEqual(show(partial.entries), expected(1, 8, 1));
        assert.equal(partial.warnings.length, 1);
      }));

    it("after a power loss between write and fsync, returns exactly the synced data", () =>
      withTempDir(async (dir) => {
        const { wal } = await Wal.open(dir, undefined, { cipher });
        const file = path.join(dir, wal.segmentNames()[0] as string);
        await wal.append({ entries: ents(1, 3, 1), hardState: hs(1, 1, 1) }, true);
        await wal.append({ entries: ents(4, 6, 1), hardState: hs(1, 1, 3) }, true);
        const synced = (await fs.stat(file)).size;
        await wal.append({ entries: ents(7, 9, 2), hardState: hs(2, 2, 6) }, false);
        await wal.append({ entries: ents(5, 5, 2) }, false);
        await wal.close();
        const bytes = await fs.readFile(file);
        assert.ok(bytes.length > synced);

        // The page cache held the unsynced writes; the power loss drops them (whole, or a torn prefix of them).
        for (const kept of [synced, synced + 7, synced + 20]) {
          const rec = await recoverFrom(dir, file, bytes.subarray(0, kept), cipher);
          assert.deepEqual(show(rec.entries), expected(1, 6, 1), `kept ${kept}`);
          assert.deepEqual(rec.hardState, hs(1, 1, 3));
          assert.equal(rec.warnings.length, kept === synced ? 0 : 1);
        }
      }));

    it("treats damage in a segment that is not the last as corruption", () =>
      withTempDir(async (dir) => {
        const { wal } = await Wal.open(dir, undefined, { segmentBytes: 150, cipher });
        for (let i = 1; i <= 20; i++) await wal.append({ entries: [ent(i, 1)] }, true);
        const names = wal.segmentNames();
        await wal.close();
        const first = path.join(dir, names[0] as string);
        const bytes = await fs.readFile(first);
        await fs.writeFile(first, bytes.subarray(0, bytes.length - 3));
        await assert.rejects(
          Wal.open(dir, undefined, { cipher }),
          /corrupt at offset \d+: .*in a segment that is not the last one/,
        );
        await fs.writeFile(first, bytes);
        await fs.rm(path.join(dir, names[1] as string));
        await assert.rejects(Wal.open(dir, undefined, { cipher }), /missing segment/);
      }));

    it("repairs a last segment whose header was torn while it was created", () =>
      withTempDir(async (dir) => {
        const { wal } = await Wal.open(dir, undefined, { segmentBytes: 150, cipher });
        for (let i = 1; i <= 20; i++) await wal.append({ entries: [ent(i, 1)], hardState: hs(1, 1, i) }, true);
        const names = wal.segmentNames();
        await wal.close();
        const lastName = names[names.length - 1] as string;
        const last = path.join(dir, lastName);
        await fs.truncate(last, 5);
        const { wal: again, recovery } = await Wal.open(dir, undefined, { segmentBytes: 150, cipher });
        assert.equal(recovery.warnings.length, 1);
        const kept = recovery.lastIndex;
        assert.equal(
          kept,
          (parseSegmentName(lastName)?.firstIndex ?? 0) - 1,
          "the log ends where the last segment began",
        );
        assert.deepEqual(recovery.hardState, hs(1, 1, kept));
        assert.deepEqual(show(recovery.entries), expected(1, kept, 1));
        await again.append({ entries: [ent(kept + 1, 2)] }, true);
        await again.close();
        const after = await Wal.open(dir, undefined, { segmentBytes: 150, cipher });
        await after.wal.close();
        assert.deepEqual(show(after.recovery.entries), [...expected(1, kept, 1), ...expected(kept + 1, kept + 1, 2)]);
        assert.deepEqual(after.recovery.warnings, []);
      }));
  });
}
