import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./checker.js";
import { HistoryError } from "./errors.js";
import type { Operation } from "./history.js";
import type { Model } from "./model.js";

// A single integer register starting at 0; "?" is the output of an indeterminate operation.
type RegInput = { readonly write: number } | { readonly read: true };
type RegOutput = number | null | "?";

const register: Model<number, RegInput, RegOutput> = {
  init: () => 0,
  step: (state, input, output) =>
    "write" in input ? { ok: true, state: input.write } : { ok: output === "?" || output === state, state },
  equal: (a, b) => a === b,
  hash: (s) => String(s),
  describeOperation: (input, output) => ("write" in input ? `write(${input.write})` : `read() -> ${String(output)}`),
  describeState: (s) => `register = ${s}`,
};

const w = (clientId: number, v: number, call: number, ret: number): Operation<RegInput, RegOutput> => ({
  clientId,
  input: { write: v },
  call,
  output: null,
  return: ret,
});
const r = (clientId: number, v: number | "?", call: number, ret: number): Operation<RegInput, RegOutput> => ({
  clientId,
  input: { read: true },
  call,
  output: v,
  return: ret,
});

describe("checkOperations on a register", () => {
  const cases: { name: string; history: Operation<RegInput, RegOutput>[]; want: "ok" | "illegal" }[] = [
    { name: "empty history", history: [], want: "ok" },
    { name: "write then read it", history: [w(1, 1, 0, 1), r(2, 1, 2, 3)], want: "ok" },
    { name: "read overlapping a write sees the old value", history: [w(1, 1, 0, 10), r(2, 0, 2, 3)], want: "ok" },
    { name: "read overlapping a write sees the new value", history: [w(1, 1, 0, 10), r(2, 1, 2, 3)], want: "ok" },
    { name: "stale read after the write returned", history: [w(1, 1, 0, 1), r(2, 0, 2, 3)], want: "illegal" },
    { name: "read of a value never written", history: [w(1, 1, 0, 1), r(2, 7, 2, 3)], want: "illegal" },
    { name: "touching times count as concurrent", history: [w(1, 1, 0, 5), r(2, 0, 5, 6)], want: "ok" },
    {
      name: "concurrent writes, then reads agreeing on the last",
      history: [w(1, 1, 0, 10), w(2, 2, 1, 9), r(3, 1, 11, 12), r(3, 1, 13, 14)],
      want: "ok",
    },
    {
      name: "concurrent writes, then reads seeing both orders",
      history: [w(1, 1, 0, 10), w(2, 2, 1, 9), r(3, 1, 11, 12), r(3, 2, 13, 14)],
      want: "illegal",
    },
    {
      name: "overlapping reads may see the write in either order",
      history: [w(1, 1, 0, 10), r(2, 1, 1, 4), r(3, 0, 2, 6), r(2, 1, 11, 12)],
      want: "ok",
    },
    {
      name: "a read cannot go back once a later read saw the write",
      history: [w(1, 1, 0, 10), r(2, 1, 1, 4), r(3, 0, 5, 6)],
      want: "illegal",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = checkOperations(register, c.history);
      assert.equal(got.result, c.want, got.info);
      assert.equal(got.partitions, 1);
    });
  }

  it("handles indeterminate writes: observed, never observed, and observed before their call", () => {
    const lost = { ...w(1, 5, 10, 0), output: "?" as const, return: Infinity };
    assert.equal(checkOperations(register, [lost, r(2, 5, 20, 21)]).result, "ok");
    assert.equal(checkOperations(register, [lost, r(2, 0, 20, 21), r(2, 0, 30, 31)]).result, "ok");
    assert.equal(checkOperations(register, [lost, r(2, 5, 20, 21), r(2, 0, 30, 31)]).result, "illegal");
    assert.equal(checkOperations(register, [r(2, 5, 0, 1), lost]).result, "illegal");
  });

  it("explains an illegal history: prefix, state, and the operations that could not be placed", () => {
    const got = checkOperations(register, [w(1, 1, 0, 1), w(1, 2, 2, 3), r(2, 1, 4, 5)]);
    assert.equal(got.result, "illegal");
    const info = got.info ?? "";
    assert.match(info, /partition \(whole history\) \(3 operations\)/);
    assert.match(info, /longest linearizable prefix: 2 of 3 operations, leaving state register = 2/);
    assert.match(info, /2\. #1 client 1 \[2\.\.3\] write\(2\)/);
    assert.match(info, /cannot place: #2 client 2 \[4\.\.5\] read\(\) -> 1/);
    assert.match(info, /- #2 .*read\(\) -> 1: the model rejects it in this state/);
  });

  it("answers unknown when the clock passes the timeout, and ok with time to spare", () => {
    const history = [w(1, 1, 0, 10), w(2, 2, 1, 9), r(3, 2, 11, 12)];
    let t = 0;
    const got = checkOperations(register, history, { timeoutMs: 50, now: () => (t += 100) });
    assert.equal(got.result, "unknown");
    assert.match(got.info ?? "", /timed out after 50 ms/);
    assert.equal(checkOperations(register, history, { timeoutMs: 50, now: () => 0 }).result, "ok");
  });

  it("rejects a history with unusable times, naming the operation", () => {
    assert.throws(
      () => checkOperations(register, [w(1, 1, 0, 1), w(1, 2, 5, 4)]),
      (e: unknown) => {
        assert.ok(e instanceof HistoryError);
        assert.equal(e.code, "SHOAL_ERR_LINEARIZABILITY_HISTORY");
        assert.match(e.message, /^linearizability: operation 1 \(client 1\) returns at 4, before its call at 5/);
        return true;
      },
    );
    assert.throws(() => checkOperations(register, [w(1, 1, Infinity, Infinity)]), HistoryError);
  });
});
