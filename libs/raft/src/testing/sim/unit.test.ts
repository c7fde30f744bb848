import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Ready, EntryType } from "../../core/types.js";
import { EventQueue } from "./event-queue.js";
import { KvStore } from "./kv-store.js";
import { Rng } from "../rng.js";
import { seedRange } from "./seed-range.js";
import { SimDisk } from "./sim-disk.js";

describe("EventQueue", () => {
  it("orders by time, then by scheduling order, and moves the clock", () => {
    const q = new EventQueue<string>();
    q.after(5, "c");
    q.after(1, "a");
    q.after(5, "d");
    q.after(1, "b");
    q.after(-3, "now");
    const got: string[] = [];
    for (let s = q.pop(); s; s = q.pop()) got.push(`${s.event}@${s.time}`);
    assert.deepEqual(got, ["now@0", "a@1", "b@1", "c@5", "d@5"]);
    assert.equal(q.now, 5);
  });
});

describe("Rng", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const draw = (seed: number): number[] => Array.from({ length: 5 }, () => new Rng(seed).int(1000));
    assert.deepEqual(draw(1), draw(1));
    const a = new Rng(1);
    const b = new Rng(2);
    assert.notDeepEqual([a.next(), a.next()], [b.next(), b.next()]);
  });
});

describe("KvStore", () => {
  it("applies a duplicated request once and answers it the same", () => {
    const kv = new KvStore();
    const cas = { client: 1, req: 1, input: { op: "cas", key: "k", expected: null, value: "v" } } as const;
    assert.deepEqual(kv.apply(cas), { ok: true });
    assert.deepEqual(kv.apply(cas), { ok: true });
    assert.equal(kv.apply({ client: 1, req: 0, input: { op: "put", key: "k", value: "old" } }), null);
    assert.equal(kv.get("k"), "v");
  });

  it("restores what it snapshotted", () => {
    const kv = new KvStore();
    kv.apply({ client: 2, req: 1, input: { op: "put", key: "a", value: "1" } });
    const copy = new KvStore();
    copy.restore(kv.snapshot());
    assert.equal(copy.digest(), kv.digest());
    assert.equal(copy.apply({ client: 2, req: 1, input: { op: "put", key: "a", value: "2" } }) !== null, true);
    assert.equal(copy.get("a"), "1");
  });
});

describe("SimDisk", () => {
  const ent = (index: number, term: number) => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });
  const rd: Ready = {
    softState: null,
    hardState: { term: 2, vote: 1, commit: 2 },
    entries: [ent(1, 1), ent(2, 2), ent(3, 2)],
    snapshot: null,
    committedEntries: [],
    messages: [],
    readStates: [],
    mustSync: true,
    earlyMessages: false,
  };

  it("keeps a prefix of entries on a torn write, and the hard state only when every entry made it", () => {
    const torn = new SimDisk();
    torn.write(rd, 2);
    assert.equal(torn.lastIndex(), 2);
    assert.deepEqual(torn.hardState(), { term: 0, vote: 0, commit: 0 });
    const whole = new SimDisk();
    whole.write(rd, SimDisk.records(rd));
    assert.equal(whole.lastIndex(), 3);
    assert.deepEqual(whole.hardState(), rd.hardState);
  });

  it("loses only the unsynced commit index on a power loss", () => {
    const disk = new SimDisk();
    disk.complete(rd);
    disk.complete({ ...rd, entries: [], hardState: { term: 2, vote: 1, commit: 3 }, mustSync: false });
    assert.equal(disk.dirty, true);
    disk.loseUnsynced();
    assert.deepEqual(disk.hardState(), rd.hardState);
    assert.equal(disk.lastIndex(), 3);
  });
});

describe("seedRange", () => {
  it("replays one seed, reads a range, and runs at least 1000 seeds under CI", () => {
    assert.deepEqual(seedRange({ SHOAL_SIM_SEED: "17", CI: "true" }, 5), { start: 17, count: 1 });
    assert.deepEqual(seedRange({ SHOAL_SIM_SEEDS: "20", SHOAL_SIM_START: "100" }, 5), { start: 100, count: 20 });
    assert.deepEqual(seedRange({ SHOAL_SIM_SEEDS: "20", CI: "true" }, 5), { start: 1, count: 1000 });
    assert.throws(() => seedRange({ SHOAL_SIM_SEEDS: "many" }, 5), /SHOAL_SIM_SEEDS must be a non-negative integer/);
  });
});
