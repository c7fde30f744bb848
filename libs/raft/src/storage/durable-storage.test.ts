import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { type Snapshot, EMPTY_HARD_STATE } from "../core/types.js";
import { RaftConfigError, SnapshotOutOfDateError } from "../errors.js";
import { DiskStorage, type DurableStorage, MemoryDurableStorage, type PersistedState } from "./durable-storage.js";
import { SnapshotStore } from "./snapshot-store.js";
import { ent, ents, expected, hs, show, snap, withTempDir } from "./storage-test-util.js";

/** One storage under test, with the ways to restart it. */
interface Harness {
  readonly storage: DurableStorage;
  /** A clean restart (close, then open again where that applies) followed by load(). */
  restart(): Promise<PersistedState>;
  /** Saves a received snapshot's file, then loses its WAL marker, as a crash between the two does. */
  saveFileLoseMarker(s: Snapshot): Promise<void>;
}

interface Subject {
  readonly name: string;
  /** Runs `test` against a fresh, loaded storage, cleaning up afterwards even when it fails. */
  with(test: (h: Harness) => Promise<void>): Promise<void>;
}

const OPTIONS = { retainEntries: 3, retainSnapshots: 2 };

const disk: Subject = {
  name: "DiskStorage",
  with: (test) =>
    withTempDir(async (dir) => {
      const open = async (): Promise<DiskStorage> => DiskStorage.open(dir, { ...OPTIONS, segmentBytes: 256 });
      let storage = await open();
      await storage.load();
      try {
        await test({
          get storage() {
            return storage;
          },
          async restart() {
            await storage.close();
            storage = await open();
            return storage.load();
          },
          async saveFileLoseMarker(s) {
            await (await SnapshotStore.open(path.join(dir, "snap"))).save(s);
          },
        });
      } finally {
        await storage.close();
      }
    }),
};

const memory: Subject = {
  name: "MemoryDurableStorage",
  async with(test) {
    const storage = new MemoryDurableStorage(OPTIONS);
    await storage.load();
    await test({
      storage,
      async restart() {
        await storage.close();
        return storage.load();
      },
      async saveFileLoseMarker(s) {
        await storage.save({ snapshot: s, entries: [], hardState: null }, false);
        storage.crash();
      },
    });
  },
};

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** Behaviour both implementations must share. */
const CASES: { name: string; run(h: Harness): Promise<void> }[] = [
  {
    name: "a new storage loads empty",
    async run(h) {
      assert.deepEqual(await h.restart(), { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [], warnings: [] });
    },
  },
  {
    name: "round-trips entries and the newest hard state, synced or not",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 0), entries: ents(1, 3, 1), snapshot: null }, true);
      await h.storage.save({ hardState: hs(2, 1, 2), entries: ents(4, 5, 2), snapshot: null }, false);
      await h.storage.save({ hardState: hs(2, 1, 3), entries: [], snapshot: null }, true);
      await h.storage.save({ hardState: null, entries: ents(6, 6, 2), snapshot: null }, false);
      const st = await h.restart();
      assert.deepEqual(show(st.entries), [...expected(1, 3, 1), ...expected(4, 6, 2)]);
      assert.deepEqual(st.hardState, hs(2, 1, 3));
      assert.equal(st.snapshot, null);
    },
  },
  {
    name: "overwrite: 1..10, then 6..8 at a higher term, loads 1..8",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 5), entries: ents(1, 10, 1), snapshot: null }, true);
      await h.storage.save({ hardState: hs(2, 2, 5), entries: ents(6, 8, 2), snapshot: null }, true);
      assert.deepEqual(show((await h.restart()).entries), [...expected(1, 5, 1), ...expected(6, 8, 2)]);
    },
  },
  {
    name: "a received snapshot replaces the log",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 2), entries: ents(1, 5, 1), snapshot: null }, true);
      await h.storage.save({ hardState: hs(2, 3, 10), entries: ents(11, 12, 2), snapshot: snap(10, 2, "ten") }, true);
      for (let round = 0; round < 2; round++) {
        const st = await h.restart();
        assert.deepEqual(st.snapshot?.meta, snap(10, 2).meta);
        assert.equal(text(st.snapshot?.data), "ten");
        assert.deepEqual(show(st.entries), expected(11, 12, 2));
        assert.deepEqual(st.hardState, hs(2, 3, 10));
      }
    },
  },
  {
    name: "the loaded commit is raised to the snapshot index",
    async run(h) {
      await h.storage.save({ hardState: hs(2, 1, 4), entries: [], snapshot: snap(10, 2) }, true);
      assert.deepEqual((await h.restart()).hardState, hs(2, 1, 10));
    },
  },
  {
    name: "an application snapshot: entries at or below it are skipped on load",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 20), entries: ents(1, 20, 1), snapshot: null }, true);
      await h.storage.saveSnapshot(snap(15, 1, "fifteen"));
      let st = await h.restart();
      assert.equal(text(st.snapshot?.data), "fifteen");
      assert.deepEqual(show(st.entries), expected(16, 20, 1));
      await h.storage.save({ hardState: hs(1, 1, 25), entries: ents(21, 25, 1), snapshot: null }, true);
      await h.storage.saveSnapshot(snap(22, 1, "twenty-two"));
      st = await h.restart();
      assert.equal(st.snapshot?.meta.index, 22);
      assert.deepEqual(show(st.entries), expected(23, 25, 1));
      assert.deepEqual(st.hardState, hs(1, 1, 25));
    },
  },
  {
    name: "many entries, snapshots and releases read back consistently",
    async run(h) {
      for (let i = 1; i <= 200; i += 10) {
        await h.storage.save({ hardState: hs(1, 1, i + 9), entries: ents(i, i + 9, 1), snapshot: null }, i % 20 === 1);
        if ((i + 9) % 50 === 0) await h.storage.saveSnapshot(snap(i + 5, 1));
      }
      const st = await h.restart();
      assert.equal(st.snapshot?.meta.index, 196);
      assert.deepEqual(show(st.entries), expected(197, 200, 1));
      assert.deepEqual(st.hardState, hs(1, 1, 200));
    },
  },
  {
    name: "refuses entries that leave a gap, keeping what was saved",
    async run(h) {
      await h.storage.save({ hardState: null, entries: ents(1, 3, 1), snapshot: null }, true);
      await assert.rejects(
        h.storage.save({ hardState: null, entries: [ent(5, 1)], snapshot: null }, true),
        RaftConfigError,
      );
      assert.deepEqual(show((await h.restart()).entries), expected(1, 3, 1));
    },
  },
  {
    name: "refuses a snapshot older than the stored one",
    async run(h) {
      await h.storage.save({ hardState: null, entries: ents(1, 10, 1), snapshot: null }, true);
      await h.storage.saveSnapshot(snap(8, 1));
      await assert.rejects(h.storage.saveSnapshot(snap(5, 1)), SnapshotOutOfDateError);
    },
  },
  {
    name: "refuses saves before load()",
    async run(h) {
      await h.storage.close();
      await assert.rejects(
        h.storage.save({ hardState: hs(1, 0, 0), entries: [], snapshot: null }, true),
        /before load\(\)/,
      );
      await h.restart();
    },
  },
  {
    name: "a snapshot file whose marker was lost: ahead of the log",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 3), entries: ents(1, 5, 1), snapshot: null }, true);
      await h.saveFileLoseMarker(snap(10, 2));
      let st = await h.restart();
      assert.equal(st.snapshot?.meta.index, 10);
      assert.deepEqual(st.entries, []);
      await h.storage.save({ hardState: hs(2, 1, 11), entries: ents(11, 12, 2), snapshot: null }, true);
      st = await h.restart();
      assert.deepEqual(show(st.entries), expected(11, 12, 2));
    },
  },
  {
    name: "a snapshot file whose marker was lost: the log after it is a discarded history",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 3), entries: ents(1, 15, 1), snapshot: null }, true);
      await h.saveFileLoseMarker(snap(10, 2));
      assert.deepEqual((await h.restart()).entries, []);
      await h.storage.save({ hardState: hs(2, 1, 11), entries: [ent(11, 2)], snapshot: null }, true);
      assert.deepEqual(show((await h.restart()).entries), expected(11, 11, 2));
    },
  },
  {
    name: "a snapshot file whose marker was lost: the log continues it",
    async run(h) {
      await h.storage.save({ hardState: hs(1, 1, 12), entries: ents(1, 15, 1), snapshot: null }, true);
      await h.saveFileLoseMarker(snap(10, 1));
      assert.deepEqual(show((await h.restart()).entries), expected(11, 15, 1));
    },
  },
];

for (const subject of [disk, memory]) {
  describe(`${subject.name} (shared behaviour)`, () => {
    for (const c of CASES) it(c.name, () => subject.with((h) => c.run(h)));
  });
}
