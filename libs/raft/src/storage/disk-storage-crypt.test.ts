import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { StorageFormatError, StorageKeyError } from "../errors.js";
import { DiskStorage } from "./disk-storage.js";
import { PLAIN_RECORDS } from "./record-cipher.js";
import { snapshotFileName } from "./snapshot-file.js";
import { storedKeyIds } from "./stored-key-ids.js";
import { containsText, ents, expected, hs, show, snap, testCipher, withTempDir } from "./storage-test-util.js";

// DiskStorage with a sealing cipher: restarts, and the data dirs it refuses (another format, another key).

/** A data dir written by the format-1 (plain) build: entries 1..4, a snapshot at 2. */
const V1_DATA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "testdata", "v1-data-dir");
const CIPHER = testCipher();

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const sub of await fs.readdir(dir, { recursive: true })) {
    const file = path.join(dir, sub);
    if ((await fs.stat(file)).isFile()) out.set(sub, await fs.readFile(file));
  }
  return out;
}

describe("DiskStorage with a sealing cipher", () => {
  it("keeps entries, hard state and snapshot across a restart, none of their bytes in the clear", () =>
    withTempDir(async (dir) => {
      const options = { segmentBytes: 400, retainEntries: 5, cipher: CIPHER };
      const s = await DiskStorage.open(dir, options);
      await s.load();
      for (let i = 1; i <= 40; i += 4) {
        await s.save({ hardState: hs(1, 1, i + 3), entries: ents(i, i + 3, 1), snapshot: null }, true);
      }
      await s.saveSnapshot(snap(30, 1, "snapshot-secret-30"));
      await s.close();

      const again = await DiskStorage.open(dir, options);
      try {
        const st = await again.load();
        assert.deepEqual(st.warnings, []);
        assert.deepEqual(st.hardState, hs(1, 1, 40));
        assert.equal(new TextDecoder().decode(st.snapshot?.data), "snapshot-secret-30");
        assert.deepEqual(st.snapshot?.meta, snap(30, 1).meta);
        assert.deepEqual(show(st.entries), expected(31, 40, 1));
        await again.save({ hardState: hs(2, 2, 41), entries: ents(41, 41, 2), snapshot: null }, true);
      } finally {
        await again.close();
      }
      const files = await filesOf(dir);
      assert.ok([...files.keys()].some((f) => f.endsWith(".snap")) && files.size > 2);
      for (const [name, bytes] of files) {
        assert.ok(!containsText(bytes, "snapshot-secret"), `${name} holds the snapshot data in the clear`);
        for (let i = 1; i <= 41; i++)
          assert.ok(!containsText(bytes, `e${i}t`), `${name} holds entry ${i} in the clear`);
      }
    }));

  it("refuses a data dir of format version 1, naming the file and what to do, and changes nothing", () =>
    withTempDir(async (dir) => {
      await fs.cp(V1_DATA_DIR, dir, { recursive: true });
      const before = await filesOf(dir);
      const snapFile = path.join(dir, "snap", snapshotFileName({ index: 2, term: 1 }));
      const walFile = path.join(dir, "wal", "0000000000000001-0000000000000001.wal");
      for (const [cipher, file, kind] of [
        [CIPHER, snapFile, "snapshot"],
        [PLAIN_RECORDS, snapFile, "snapshot"],
        [CIPHER, walFile, "WAL segment"],
      ] as const) {
        if (kind === "WAL segment") await fs.rm(path.join(dir, "snap"), { recursive: true, force: true });
        const s = await DiskStorage.open(dir, { cipher });
        await assert.rejects(s.load(), (err: unknown) => {
          assert.ok(err instanceof StorageFormatError, String(err));
          assert.equal(err.code, "SHOAL_ERR_STORAGE_FORMAT");
          assert.deepEqual([err.file, err.version], [file, 1]);
          assert.equal(
            err.message,
            `raft: ${kind} ${file} has format version 1, written before Raft's storage was encrypted at rest; this ` +
              "build reads only version 2. There is no in-place upgrade before 1.0: keep a backup of the data dir, " +
              "start a new cluster with this version and create the services again (docs/operations.md, Upgrades)",
          );
          return true;
        });
      }
      before.delete(path.join("snap", path.basename(snapFile)));
      assert.deepEqual(await filesOf(dir), before, "the WAL was neither cut nor rewritten");
    }));

  it("refuses a snapshot sealed with another key instead of setting it aside as corrupt", () =>
    withTempDir(async (dir) => {
      const s = await DiskStorage.open(dir, { cipher: CIPHER });
      await s.load();
      await s.save({ hardState: hs(1, 1, 3), entries: ents(1, 3, 1), snapshot: null }, true);
      await s.saveSnapshot(snap(3, 1));
      await s.close();
      const other = await DiskStorage.open(dir, { cipher: testCipher("manager-2-key") });
      await assert.rejects(other.load(), (err: unknown) => {
        assert.ok(err instanceof StorageKeyError);
        assert.match(err.message, /\.snap is sealed with data key test-key, but this member's key is manager-2-key/);
        return true;
      });
      assert.ok(!(await fs.readdir(path.join(dir, "snap"))).some((n) => n.endsWith(".broken")));
    }));

  it("storedKeyIds names the keys a data dir's files are sealed with, without opening it", () =>
    withTempDir(async (dir) => {
      assert.deepEqual(await storedKeyIds(dir), [], "no data dir");
      const s = await DiskStorage.open(dir, { cipher: CIPHER });
      assert.deepEqual(await storedKeyIds(dir), [], "an opened storage that has written nothing");
      await s.load();
      await s.save({ hardState: hs(1, 1, 3), entries: ents(1, 3, 1), snapshot: null }, true);
      await s.saveSnapshot(snap(3, 1));
      await s.close();
      assert.deepEqual(await storedKeyIds(dir), [CIPHER.keyId]);
      await fs.rm(path.join(dir, "wal"), { recursive: true });
      assert.deepEqual(await storedKeyIds(dir), [CIPHER.keyId], "from a snapshot alone");
      await fs.cp(V1_DATA_DIR, dir, { recursive: true, force: true });
      await assert.rejects(storedKeyIds(dir), StorageFormatError);
    }));
});
