import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { RaftCorruptionError } from "../errors.js";
import { DiskStorage, type DiskStorageOptions } from "./disk-storage.js";
import { snapshotFileName } from "./snapshot-file.js";
import { ents, expected, hs, show, snap, withTempDir } from "./storage-test-util.js";

/** Saves entries 1..100 with snapshots at 50 and 100, then closes the storage. */
async function fill(dir: string, options: DiskStorageOptions): Promise<void> {
  const s = await DiskStorage.open(dir, options);
  await s.load();
  for (let i = 1; i <= 100; i += 10) {
    await s.save({ hardState: hs(1, 1, i + 9), entries: ents(i, i + 9, 1), snapshot: null }, true);
    if ((i + 9) % 50 === 0) await s.saveSnapshot(snap(i + 9, 1));
  }
  await s.close();
}

async function corrupt(file: string): Promise<void> {
  const bytes = await fs.readFile(file);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
  await fs.writeFile(file, bytes);
}

describe("DiskStorage", () => {
  it("falls back to the older snapshot when the newest is corrupt: the WAL still has the entries after it", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytes: 300, retainEntries: 0 };
      await fill(dir, options);
      assert.ok((await fs.readdir(path.join(dir, "wal"))).length < 10, "segments were released");
      await corrupt(path.join(dir, "snap", snapshotFileName({ index: 100, term: 1 })));
      const s = await DiskStorage.open(dir, options);
      try {
        const st = await s.load();
        assert.equal(st.snapshot?.meta.index, 50);
        assert.deepEqual(show(st.entries), expected(51, 100, 1));
        assert.equal(st.warnings.length, 1);
        assert.match(st.warnings[0] as string, /is corrupt .*\.broken/);
      } finally {
        await s.close();
      }
    }));

  it("refuses to load when no snapshot reaches the entries the WAL kept", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytes: 300, retainEntries: 0, retainSnapshots: 1 };
      await fill(dir, options);
      await corrupt(path.join(dir, "snap", snapshotFileName({ index: 100, term: 1 })));
      const s = await DiskStorage.open(dir, options);
      await assert.rejects(s.load(), (err: unknown) => {
        assert.ok(err instanceof RaftCorruptionError);
        assert.match(err.message, /newest usable snapshot is at index 0, .*entries 1\.\.\d+ are in neither/);
        return true;
      });
    }));

  it("refuses to load snapshot files without a WAL: the term and vote would be lost", () =>
    withTempDir(async (dir) => {
      await fill(dir, {});
      for (const f of await fs.readdir(path.join(dir, "wal"))) await fs.rm(path.join(dir, "wal", f));
      const s = await DiskStorage.open(dir);
      await assert.rejects(s.load(), /snapshot files but no WAL/);
      assert.deepEqual(await fs.readdir(path.join(dir, "wal")), [], "no WAL was created that would hide the loss");
    }));

  it("reports a torn WAL tail as a warning and loads the rest", () =>
    withTempDir(async (dir) => {
      const s = await DiskStorage.open(dir);
      await s.load();
      await s.save({ hardState: hs(1, 1, 2), entries: ents(1, 3, 1), snapshot: null }, true);
      await s.close();
      const wal = path.join(dir, "wal", (await fs.readdir(path.join(dir, "wal")))[0] as string);
      await fs.truncate(wal, (await fs.stat(wal)).size - 4);
      const again = await DiskStorage.open(dir);
      try {
        const st = await again.load();
        assert.match(st.warnings[0] ?? "", /torn or corrupt tail/);
        // One write held the entries record, then the hard state record: only the latter was torn.
        assert.deepEqual(show(st.entries), expected(1, 3, 1));
        assert.deepEqual(st.hardState, { term: 0, vote: 0, commit: 0 });
      } finally {
        await again.close();
      }
    }));
});
