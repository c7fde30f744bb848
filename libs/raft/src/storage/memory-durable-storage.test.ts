import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RaftConfigError } from "../errors.js";
import { MemoryDurableStorage } from "./memory-durable-storage.js";
import { ents, expected, hs, show, snap } from "./storage-test-util.js";

describe("MemoryDurableStorage crash()", () => {
  it("drops the writes saved without sync since the last synced save", async () => {
    const s = new MemoryDurableStorage();
    await s.load();
    await s.save({ hardState: hs(1, 1, 2), entries: ents(1, 3, 1), snapshot: null }, true);
    await s.save({ hardState: hs(2, 2, 3), entries: ents(4, 5, 2), snapshot: null }, false);
    assert.deepEqual(
      show((await s.load()).entries),
      [...expected(1, 3, 1), ...expected(4, 5, 2)],
      "a restart without a crash sees them",
    );
    s.crash();
    await assert.rejects(s.save({ hardState: null, entries: [], snapshot: null }, true), RaftConfigError);
    const st = await s.load();
    assert.deepEqual(show(st.entries), expected(1, 3, 1));
    assert.deepEqual(st.hardState, hs(1, 1, 2));
  });

  it("keeps unsynced writes that a later synced save covered", async () => {
    const s = new MemoryDurableStorage();
    await s.load();
    await s.save({ hardState: null, entries: ents(1, 3, 1), snapshot: null }, false);
    await s.save({ hardState: hs(1, 1, 3), entries: ents(4, 4, 1), snapshot: null }, true);
    await s.save({ hardState: null, entries: ents(5, 6, 1), snapshot: null }, false);
    s.crash();
    const st = await s.load();
    assert.deepEqual(show(st.entries), expected(1, 4, 1));
    assert.deepEqual(st.hardState, hs(1, 1, 3));
  });

  it("keeps a saved snapshot file across a crash even when its unsynced marker is lost", async () => {
    const s = new MemoryDurableStorage();
    await s.load();
    await s.save({ hardState: hs(1, 1, 1), entries: ents(1, 2, 1), snapshot: null }, true);
    await s.save({ hardState: hs(2, 1, 9), entries: ents(10, 10, 2), snapshot: snap(9, 2) }, false);
    s.crash();
    const st = await s.load();
    assert.equal(st.snapshot?.meta.index, 9);
    assert.deepEqual(st.entries, []);
    assert.deepEqual(st.hardState, hs(1, 1, 9), "the synced hard state, commit raised to the snapshot");
  });
});
