import assert from "node:assert/strict";
import { test } from "node:test";
import { stableJson } from "./stable-json.js";

test("stableJson ignores key order and undefined fields", () => {
  assert.equal(stableJson({ b: 1, a: [{ y: 2, x: undefined, z: "s" }] }), stableJson({ a: [{ z: "s", y: 2 }], b: 1 }));
  assert.notEqual(stableJson({ a: [1, 2] }), stableJson({ a: [2, 1] }));
});
