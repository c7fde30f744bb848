import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { EMPTY_HARD_STATE } from "../core/types.js";
import { RaftConfigError, StorageFailedError } from "../errors.js";
import { ent, ents, expected, hs, show, withTempDir } from "./storage-test-util.js";
import { Wal } from "./wal.js";
import { parseSegmentName } from "./wal-segment.js";

describe("Wal", () => {
  it("round-trips entries, hard state and snapshot markers across a reopen", () =>
    withTempDir(async (dir) => {
      const first = await Wal.open(dir);
      assert.equal(first.recovery.fresh, true);
      assert.deepEqual(first.recovery.entries, []);
      assert.deepEqual(first.recovery.hardState, EMPTY_HARD_STATE);
      await first.wal.append({ entries: ents(1, 5, 1), hardState: hs(1, 2, 3) }, true);
      await first.wal.append({ snapshot: { index: 3, term: 1, resetsLog: false } }, true);
      await first.wal.append({ entries: ents(6, 7, 2), hardState: hs(2, 1, 6) }, false);
      await first.wal.close();

      const { wal, recovery } = await Wal.open(dir);
      await wal.close();
      assert.equal(recovery.fresh, false);
      assert.deepEqual(show(recovery.entries), [...expected(1, 5, 1), ...expected(6, 7, 2)]);
      assert.deepEqual(recovery.hardState, hs(2, 1, 6));
      assert.deepEqual(recovery.snapshot, { index: 3, term: 1 });
      assert.deepEqual(recovery.warnings, []);

      const fromSnap = await Wal.open(dir, { index: 3, term: 1 });
      await fromSnap.wal.close();
      assert.deepEqual(show(fromSnap.recovery.entries), [...expected(4, 5, 1), ...expected(6, 7, 2)]);
      assert.equal(fromSnap.recovery.startMatches, true);

      // A snapshot whose term disagrees with the log: the log after it is a discarded history.
      const other = await Wal.open(dir, { index: 3, term: 9 });
      await other.wal.close();
      assert.deepEqual(other.recovery.entries, []);
      assert.equal(other.recovery.startMatches, false);
    }));

  it("applies overwrite semantics: 1..10, then 6..8 at a higher term, reads back 1..8", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir);
      await wal.append({ entries: ents(1, 10, 1) }, true);
      await wal.append({ entries: ents(6, 8, 2) }, true);
      await wal.close();
      const { wal: again, recovery } = await Wal.open(dir);
      await again.close();
      assert.deepEqual(show(recovery.entries), [...expected(1, 5, 1), ...expected(6, 8, 2)]);
      assert.equal(recovery.lastIndex, 8);
    }));

  it("discards the log at a marker that resets it (a received snapshot)", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir);
      await wal.append({ entries: ents(1, 5, 1) }, true);
      await wal.append({ snapshot: { index: 20, term: 3, resetsLog: true }, entries: ents(21, 22, 3) }, true);
      await wal.close();
      const { wal: again, recovery } = await Wal.open(dir, { index: 20, term: 3 });
      await again.close();
      assert.deepEqual(show(recovery.entries), expected(21, 22, 3));
      assert.deepEqual(recovery.snapshot, { index: 20, term: 3 });
    }));

  it("refuses entries that would leave a gap, writing nothing", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir);
      await wal.append({ entries: ents(1, 3, 1) }, true);
      await assert.rejects(wal.append({ entries: [ent(5, 1)] }, true), RaftConfigError);
      await assert.rejects(wal.append({ entries: [ent(4, 1), ent(6, 1)] }, true), /not contiguous/);
      await wal.append({ entries: [ent(4, 1)] }, true);
      await wal.close();
      const { wal: again, recovery } = await Wal.open(dir);
      await again.close();
      assert.deepEqual(show(recovery.entries), expected(1, 4, 1));
    }));

  it("starts a new segment past the size limit, named by sequence and first index", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir, undefined, { segmentBytes: 200 });
      for (let i = 1; i <= 40; i++) await wal.append({ entries: [ent(i, 1)] }, true);
      const names = wal.segmentNames();
      await wal.close();
      const segs = names.map((n) => parseSegmentName(n));
      assert.ok(segs.length >= 4, `expected several segments, got ${segs.length}`);
      assert.equal(names[0], "0000000000000001-0000000000000001.wal");
      segs.forEach((s, k) => assert.equal(s?.seq, k + 1));
      for (let k = 1; k < segs.length; k++) assert.ok((segs[k]?.firstIndex ?? 0) > (segs[k - 1]?.firstIndex ?? 0));
      for (const n of names.slice(0, -1)) assert.ok((await fs.stat(path.join(dir, n))).size >= 200);
      const { wal: again, recovery } = await Wal.open(dir, undefined, { segmentBytes: 200 });
      await again.close();
      assert.deepEqual(show(recovery.entries), expected(1, 40, 1));
    }));

  it("releaseTo deletes whole covered segments, never the last, and keeps the hard state", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir, undefined, { segmentBytes: 200 });
      await wal.append({ hardState: hs(1, 1, 0) }, true);
      for (let i = 1; i <= 40; i++) await wal.append({ entries: [ent(i, 1)] }, true);
      await wal.append({ snapshot: { index: 30, term: 1, resetsLog: false } }, true);
      const before = wal.segmentNames();
      await wal.close();
      const { wal: reader } = await Wal.open(dir, undefined, { segmentBytes: 200 });
      const third = parseSegmentName(before[2] as string);
      assert.ok(third);
      await reader.releaseTo(third.firstIndex - 2);
      assert.deepEqual(reader.segmentNames(), before.slice(1), "only the first segment is wholly below the index");
      await reader.releaseTo(third.firstIndex - 1);
      assert.deepEqual(reader.segmentNames(), before.slice(2));
      await reader.close();
      assert.deepEqual((await fs.readdir(dir)).sort(), before.slice(2));

      const start = { index: third.firstIndex - 1, term: 1 };
      const reopened = await Wal.open(dir, start, { segmentBytes: 200 });
      assert.deepEqual(show(reopened.recovery.entries), expected(third.firstIndex, 40, 1));
      assert.deepEqual(reopened.recovery.hardState, hs(1, 1, 0));
      assert.deepEqual(reopened.recovery.snapshot, { index: 30, term: 1 });
      await reopened.wal.releaseTo(1_000_000);
      const remaining = reopened.wal.segmentNames();
      assert.deepEqual(remaining, before.slice(-1));
      await reopened.wal.close();
      // Released past the snapshot: a load from it would miss entries, and says so.
      await assert.rejects(Wal.open(dir, { index: 30, term: 1 }), /entries 31\.\.\d+ are in neither/);
      const lastFirst = parseSegmentName(remaining[0] as string)?.firstIndex ?? 0;
      const last = await Wal.open(dir, { index: lastFirst - 1, term: 1 }, { segmentBytes: 200 });
      await last.wal.close();
      assert.deepEqual(show(last.recovery.entries), expected(lastFirst, 40, 1));
      assert.deepEqual(last.recovery.hardState, hs(1, 1, 0), "the hard state survives in the segment header");
      assert.deepEqual(last.recovery.snapshot, { index: 30, term: 1 });
    }));

  it("group commit: concurrent appends are serialized, one write and one fdatasync each, in order", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir);
      const before = wal.stats;
      const n = 50;
      const pending: Promise<void>[] = [];
      for (let i = 1; i <= n; i++) pending.push(wal.append({ entries: [ent(i, 1)], hardState: hs(1, 0, i) }, true));
      await Promise.all(pending);
      assert.equal(wal.stats.writes - before.writes, n);
      assert.equal(wal.stats.syncs - before.syncs, n);
      await wal.append(
        { snapshot: { index: 1, term: 1, resetsLog: false }, entries: [ent(n + 1, 1)], hardState: hs(1, 0, n) },
        false,
      );
      assert.equal(wal.stats.writes - before.writes, n + 1, "marker, entries and hard state: one write");
      assert.equal(wal.stats.syncs - before.syncs, n, "no fdatasync when sync is false");
      await wal.close();
      const { wal: again, recovery } = await Wal.open(dir);
      await again.close();
      assert.deepEqual(show(recovery.entries), expected(1, n + 1, 1));
      assert.deepEqual(recovery.hardState, hs(1, 0, n));
    }));

  it("refuses work once closed", () =>
    withTempDir(async (dir) => {
      const { wal } = await Wal.open(dir);
      await wal.close();
      await assert.rejects(wal.append({ entries: [ent(1, 1)] }, true), StorageFailedError);
    }));
});
