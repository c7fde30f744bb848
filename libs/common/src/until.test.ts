import assert from "node:assert/strict";
import { test } from "node:test";
import { until, WaitTimeoutError } from "./until.js";

test("until returns the first truthy value and times out naming what it waited for and the last error", async () => {
  let n = 0;
  assert.equal(await until(() => (++n >= 3 ? n : undefined), 1_000, "three calls", 1), 3);
  await assert.rejects(
    until(
      () => {
        throw new Error("not yet");
      },
      20,
      "something",
      5,
    ),
    (e: unknown) => e instanceof WaitTimeoutError && /waiting for something \(last error: not yet\)/.test(e.message),
  );
});
