import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./checker.js";
import { HistoryError } from "./errors.js";
import { HistoryRecorder } from "./history.js";
import { KV_UNKNOWN, type KvInput, type KvOutput, kvModel } from "./kv-model.js";

describe("HistoryRecorder", () => {
  it("records completed, lost and still-pending calls in call order", () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(KV_UNKNOWN);
    const a = rec.call(1, { op: "put", key: "x", value: "a" }, 0);
    const b = rec.call(2, { op: "put", key: "x", value: "b" }, 1);
    rec.call(3, { op: "get", key: "x" }, 2);
    a.ok({}, 3);
    b.unknown();
    assert.equal(rec.pending, 1);
    assert.deepEqual(rec.operations(), [
      { clientId: 1, input: { op: "put", key: "x", value: "a" }, call: 0, output: {}, return: 3 },
      { clientId: 2, input: { op: "put", key: "x", value: "b" }, call: 1, output: KV_UNKNOWN, return: Infinity },
      { clientId: 3, input: { op: "get", key: "x" }, call: 2, output: KV_UNKNOWN, return: Infinity },
    ]);
    assert.equal(checkOperations(kvModel, rec.operations()).result, "ok");
  });

  it("refuses to complete a call twice or before it was made", () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(KV_UNKNOWN);
    const done = rec.call(1, { op: "get", key: "x" }, 5);
    assert.throws(() => done.ok({ value: null }, 4), /returned at 4, before it was made/);
    done.ok({ value: null }, 6);
    assert.throws(
      () => done.unknown(),
      (e: unknown) => e instanceof HistoryError && /completed twice/.test(e.message),
    );
  });
});
