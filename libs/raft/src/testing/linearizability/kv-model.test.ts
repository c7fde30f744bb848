import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./checker.js";
import type { Operation } from "./history.js";
import { KV_UNKNOWN, type KvInput, type KvOutput, kvModel } from "./kv-model.js";

type KvOp = Operation<KvInput, KvOutput>;
const at = (call: number, ret: number | "lost", clientId = 1) => ({
  clientId,
  call,
  return: ret === "lost" ? Infinity : ret,
});
const out = (ret: number | "lost", output: KvOutput): KvOutput => (ret === "lost" ? KV_UNKNOWN : output);
const get = (key: string, value: string | null, call: number, ret: number | "lost", c?: number): KvOp => ({
  ...at(call, ret, c),
  input: { op: "get", key },
  output: out(ret, { value }),
});
const put = (key: string, value: string, call: number, ret: number | "lost", c?: number): KvOp => ({
  ...at(call, ret, c),
  input: { op: "put", key, value },
  output: out(ret, {}),
});
const cas = (
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  call: number,
  ret: number | "lost",
  c?: number,
): KvOp => ({
  ...at(call, ret, c),
  input: { op: "cas", key, expected, value },
  output: out(ret, { ok }),
});

describe("kvModel", () => {
  const cases: { name: string; history: KvOp[]; want: "ok" | "illegal" }[] = [
    { name: "get of an absent key is null", history: [get("x", null, 0, 1)], want: "ok" },
    { name: "put then get", history: [put("x", "a", 0, 1), get("x", "a", 2, 3)], want: "ok" },
    {
      name: "get overlapping a put sees the old value",
      history: [put("x", "a", 0, 5), get("x", null, 1, 2, 2)],
      want: "ok",
    },
    {
      name: "get overlapping a put sees the new value",
      history: [put("x", "a", 0, 5), get("x", "a", 1, 2, 2)],
      want: "ok",
    },
    {
      name: "stale read after a completed put",
      history: [put("x", "a", 0, 1), put("x", "b", 2, 3), get("x", "a", 4, 5, 2)],
      want: "illegal",
    },
    { name: "read of a value never written", history: [put("x", "a", 0, 1), get("x", "z", 2, 3, 2)], want: "illegal" },
    { name: "read of another key's value", history: [put("y", "a", 0, 1), get("x", "a", 2, 3, 2)], want: "illegal" },
    {
      name: "cas on the expected value swaps",
      history: [cas("x", null, "a", true, 0, 1), get("x", "a", 2, 3)],
      want: "ok",
    },
    { name: "cas that should have swapped cannot fail", history: [cas("x", null, "a", false, 0, 1)], want: "illegal" },
    {
      name: "cas on another value fails and changes nothing",
      history: [put("x", "a", 0, 1), cas("x", "z", "b", false, 2, 3), get("x", "a", 4, 5)],
      want: "ok",
    },
    {
      name: "a failed cas must not change the value",
      history: [put("x", "a", 0, 1), cas("x", "z", "b", false, 2, 3), get("x", "b", 4, 5)],
      want: "illegal",
    },
    {
      name: "cas that cannot have matched cannot succeed",
      history: [put("x", "a", 0, 1), cas("x", "z", "b", true, 2, 3)],
      want: "illegal",
    },
    {
      name: "two concurrent cas from the same value: one wins",
      history: [cas("x", null, "a", true, 0, 5, 1), cas("x", null, "b", false, 1, 4, 2), get("x", "a", 6, 7)],
      want: "ok",
    },
    {
      name: "two concurrent cas from the same value cannot both win",
      history: [cas("x", null, "a", true, 0, 5, 1), cas("x", null, "b", true, 1, 4, 2)],
      want: "illegal",
    },
    // Indeterminate operations (return Infinity, output KV_UNKNOWN).
    {
      name: "lost put whose value is read later",
      history: [put("x", "a", 0, "lost"), get("x", "a", 10, 11, 2)],
      want: "ok",
    },
    {
      name: "lost put never observed",
      history: [
        put("x", "a", 0, "lost"),
        get("x", null, 10, 11, 2),
        put("x", "b", 12, 13, 2),
        get("x", "b", 14, 15, 2),
      ],
      want: "ok",
    },
    {
      name: "lost put taking effect after later writes",
      history: [put("x", "a", 0, "lost"), put("x", "b", 2, 3, 2), get("x", "a", 4, 5, 2)],
      want: "ok",
    },
    {
      name: "lost put read before it was called",
      history: [get("x", "a", 0, 1, 2), put("x", "a", 5, "lost")],
      want: "illegal",
    },
    {
      name: "lost put seen, then unseen",
      history: [put("x", "a", 0, "lost"), get("x", "a", 10, 11, 2), get("x", null, 12, 13, 2)],
      want: "illegal",
    },
    {
      name: "lost cas that took effect",
      history: [cas("x", null, "a", true, 0, "lost"), get("x", "a", 5, 6, 2)],
      want: "ok",
    },
    {
      name: "lost cas cannot swap from the wrong value",
      history: [put("x", "b", 0, 1), cas("x", null, "a", true, 2, "lost"), get("x", "a", 5, 6, 2)],
      want: "illegal",
    },
    { name: "lost get constrains nothing", history: [put("x", "a", 0, 1), get("x", "zzz", 2, "lost", 2)], want: "ok" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = checkOperations(kvModel, c.history);
      assert.equal(got.result, c.want, got.info);
    });
  }

  it("checks each key on its own and names the key that failed", () => {
    const history = [put("x", "a", 0, 1), put("y", "b", 0, 1, 2), get("x", "a", 2, 3), get("y", null, 2, 3, 2)];
    const got = checkOperations(kvModel, history);
    assert.equal(got.result, "illegal");
    assert.equal(got.partitions, 2);
    assert.match(got.info ?? "", /partition key "y" \(2 operations\)/);
    assert.match(got.info ?? "", /leaving state "b"/);
    assert.match(got.info ?? "", /cannot place: #3 client 2 \[2\.\.3\] get\("y"\) -> null/);
    assert.equal(checkOperations(kvModel, history.slice(0, 3)).result, "ok");
  });

  it("describes operations readably", () => {
    const d = (op: KvOp): string => kvModel.describeOperation(op.input, op.output);
    assert.equal(d(get("x", null, 0, 1)), 'get("x") -> null');
    assert.equal(d(get("x", "a", 0, 1)), 'get("x") -> "a"');
    assert.equal(d(put("x", "a", 0, 1)), 'put("x", "a")');
    assert.equal(d(put("x", "a", 0, "lost")), 'put("x", "a") -> ? (indeterminate)');
    assert.equal(d(cas("x", null, "a", true, 0, 1)), 'cas("x", null -> "a") -> swapped');
    assert.equal(d(cas("x", "a", "b", false, 0, 1)), 'cas("x", "a" -> "b") -> not swapped');
  });
});
