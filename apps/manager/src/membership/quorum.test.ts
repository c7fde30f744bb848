import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRemoval } from "./quorum.js";

test("removing a manager is refused when it is the last one or when the rest would lose their majority", () => {
  assert.deepEqual(checkRemoval({ voters: [1, 2, 3], reachable: [1, 2, 3] }, 3), { ok: true });
  assert.deepEqual(
    checkRemoval({ voters: [1, 2, 3], reachable: [1, 2] }, 3),
    { ok: true },
    "removing the unreachable one is fine",
  );
  const lost = checkRemoval({ voters: [1, 2, 3], reachable: [1, 3] }, 3);
  assert.equal(lost.ok, false);
  assert.match(lost.ok ? "" : lost.reason, /2 managers left would have 1 reachable, and a majority of 2/);
  const last = checkRemoval({ voters: [1], reachable: [1] }, 1);
  assert.match(last.ok ? "" : last.reason, /last manager/);
  assert.deepEqual(
    checkRemoval({ voters: [1, 2], reachable: [1, 2] }, 9),
    { ok: true },
    "not a voter: nothing to check",
  );
  assert.deepEqual(
    checkRemoval({ voters: [1, 2, 3, 4, 5], reachable: [1, 2, 3] }, 4),
    { ok: true },
    "3 of the 4 left is a majority",
  );
  assert.equal(checkRemoval({ voters: [1, 2, 3, 4, 5], reachable: [1, 2, 5] }, 5).ok, false, "2 of the 4 left is not");
});
