import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LogBatch, ReplayLog } from "./replay-log.js";
import { ent, ents, expected, show } from "./storage-test-util.js";

/** Each case applies batches to an empty log, then reads the entries after `start`. */
const CASES: {
  name: string;
  batches: LogBatch[];
  start?: { index: number; term: number };
  want: string[] | RegExp;
  matches?: boolean;
}[] = [
  { name: "appends", batches: [{ entries: ents(1, 3, 1) }, { entries: ents(4, 5, 1) }], want: expected(1, 5, 1) },
  {
    name: "an overwrite truncates the suffix",
    batches: [{ entries: ents(1, 10, 1) }, { entries: ents(6, 8, 2) }],
    want: [...expected(1, 5, 1), ...expected(6, 8, 2)],
  },
  {
    name: "a resetting marker discards the log",
    batches: [{ entries: ents(1, 5, 1) }, { snapshot: { index: 8, term: 2, resetsLog: true }, entries: [ent(9, 2)] }],
    start: { index: 8, term: 2 },
    want: expected(9, 9, 2),
  },
  {
    name: "a plain marker keeps the log",
    batches: [{ entries: ents(1, 5, 1) }, { snapshot: { index: 3, term: 1, resetsLog: false } }],
    start: { index: 3, term: 1 },
    want: expected(4, 5, 1),
  },
  {
    name: "a snapshot at another term: the entries after it were discarded",
    batches: [{ entries: ents(1, 5, 1) }],
    start: { index: 3, term: 2 },
    want: [],
    matches: false,
  },
  {
    name: "a snapshot ahead of the log",
    batches: [{ entries: ents(1, 5, 1) }],
    start: { index: 9, term: 2 },
    want: [],
    matches: false,
  },
  {
    name: "a snapshot older than the kept log is a gap",
    batches: [{ snapshot: { index: 8, term: 2, resetsLog: true }, entries: [ent(9, 2)] }],
    start: { index: 5, term: 1 },
    want: /entries 6\.\.8 are in neither/,
  },
];

describe("ReplayLog", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const log = new ReplayLog();
      for (const b of c.batches) assert.equal(log.apply(b), null);
      const start = c.start ?? { index: 0, term: 0 };
      if (c.want instanceof RegExp) {
        assert.throws(() => log.entriesAfter(start), c.want);
        return;
      }
      const got = log.entriesAfter(start);
      assert.deepEqual(show(got.entries), c.want);
      assert.equal(got.startMatches, c.matches ?? true);
    });
  }

  it("refuses a batch with a gap and changes nothing", () => {
    const log = new ReplayLog();
    log.apply({ entries: ents(1, 3, 1) });
    assert.match(
      log.apply({ entries: [ent(5, 1)], hardState: { term: 1, vote: 0, commit: 0 } }) ?? "",
      /4\.\.4 are missing/,
    );
    assert.equal(log.lastIndex, 3);
    assert.equal(log.hardState.term, 0);
  });

  it("keeps the highest snapshot marker and compacts without losing the term at the cut", () => {
    const log = new ReplayLog();
    log.apply({ entries: ents(1, 10, 1), snapshot: null });
    log.applyMarker({ index: 8, term: 1, resetsLog: false });
    log.applyMarker({ index: 4, term: 1, resetsLog: false });
    assert.deepEqual(log.snapshot, { index: 8, term: 1 });
    log.compact(6);
    assert.equal(log.termAt(6), 1);
    assert.equal(log.termAt(5), undefined);
    assert.deepEqual(show(log.entriesAfter({ index: 6, term: 1 }).entries), expected(7, 10, 1));
  });
});
