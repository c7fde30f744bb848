import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { SnapshotOutOfDateError } from "../errors.js";
import { snapshotFileName } from "./snapshot-file.js";
import { SnapshotStore } from "./snapshot-store.js";
import { snap, withTempDir } from "./storage-test-util.js";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe("SnapshotStore", () => {
  it("saves atomically and loads the newest back after a reopen", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      assert.deepEqual(await store.load(), { snapshot: null, warnings: [] });
      await store.save(snap(10, 2));
      await store.save(snap(20, 3, "twenty"));
      assert.deepEqual((await fs.readdir(dir)).sort(), [
        snapshotFileName({ index: 10, term: 2 }),
        snapshotFileName({ index: 20, term: 3 }),
      ]);
      assert.equal(snapshotFileName({ index: 20, term: 3 }), "0000000000000003-0000000000000014.snap");

      const { snapshot, warnings } = await (await SnapshotStore.open(dir)).load();
      assert.deepEqual(warnings, []);
      assert.deepEqual(snapshot?.meta, snap(20, 3).meta);
      assert.equal(text(snapshot?.data ?? new Uint8Array()), "twenty");
    }));

  it("falls back to the older snapshot when the newest is corrupt, renaming it *.broken", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.save(snap(10, 2, "ten"));
      await store.save(snap(20, 3, "twenty"));
      const newest = path.join(dir, snapshotFileName({ index: 20, term: 3 }));
      const bytes = await fs.readFile(newest);
      for (const damage of ["flip", "truncate"]) {
        if (damage === "flip") bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 1;
        await fs.writeFile(newest, damage === "flip" ? bytes : bytes.subarray(0, 8));
        const { snapshot, warnings } = await store.load();
        assert.equal(snapshot?.meta.index, 10, damage);
        assert.equal(text(snapshot?.data ?? new Uint8Array()), "ten");
        assert.equal(warnings.length, 1);
        assert.match(warnings[0] as string, new RegExp(`${path.basename(newest)} is corrupt .*renamed to .*\\.broken`));
        assert.ok((await fs.readdir(dir)).includes(`${path.basename(newest)}.broken`));
        await fs.rm(`${newest}.broken`);
      }
    }));

  it("returns null with a warning per file when every snapshot is corrupt", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.save(snap(10, 2));
      await fs.writeFile(path.join(dir, snapshotFileName({ index: 10, term: 2 })), "garbage, not a snapshot file");
      const { snapshot, warnings } = await store.load();
      assert.equal(snapshot, null);
      assert.match(warnings[0] ?? "", /bad magic/);
    }));

  it("rejects a file whose metadata does not match its name", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.save(snap(10, 2));
      await fs.rename(
        path.join(dir, snapshotFileName({ index: 10, term: 2 })),
        path.join(dir, snapshotFileName({ index: 11, term: 2 })),
      );
      const { snapshot, warnings } = await store.load();
      assert.equal(snapshot, null);
      assert.match(warnings[0] ?? "", /metadata says index 10 term 2, the file name index 11 term 2/);
    }));

  it("deletes temp files a crash left behind when opened", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.save(snap(10, 2));
      const stale = `${snapshotFileName({ index: 30, term: 4 })}.tmp`;
      await fs.writeFile(path.join(dir, stale), "half a snapshot");
      const reopened = await SnapshotStore.open(dir);
      assert.deepEqual(await fs.readdir(dir), [snapshotFileName({ index: 10, term: 2 })]);
      assert.equal((await reopened.load()).snapshot?.meta.index, 10);
    }));

  it("keeps only the newest `retain` snapshots", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir, { retain: 2 });
      for (const i of [10, 20, 30, 40]) await store.save(snap(i, 1));
      assert.deepEqual(
        (await store.list()).map((f) => f.index),
        [40, 30],
      );
      assert.equal((await fs.readdir(dir)).length, 2);
      const three = await SnapshotStore.open(dir, { retain: 3 });
      await three.save(snap(50, 2));
      assert.deepEqual(
        (await three.list()).map((f) => f.index),
        [50, 40, 30],
      );
    }));

  it("refuses a snapshot older than the newest one, and replaces one at the same position", () =>
    withTempDir(async (dir) => {
      const store = await SnapshotStore.open(dir);
      await store.save(snap(20, 2));
      await assert.rejects(store.save(snap(10, 2)), SnapshotOutOfDateError);
      await store.save(snap(20, 2, "again"));
      assert.equal(text((await store.load()).snapshot?.data ?? new Uint8Array()), "again");
    }));
});
