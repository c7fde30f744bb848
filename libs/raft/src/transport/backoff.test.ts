import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "./backoff.js";
import { seededRandom } from "./test-support.js";

describe("Backoff", () => {
  it("doubles from the base to the cap, each delay jittered within [ceiling/2, ceiling)", () => {
    const b = new Backoff({ baseMs: 50, maxMs: 2000, random: seededRandom(1) });
    const ceilings = [50, 100, 200, 400, 800, 1600, 2000, 2000];
    for (const ceiling of ceilings) {
      const d = b.next();
      assert.ok(d >= ceiling / 2 && d < ceiling, `${d} within [${ceiling / 2}, ${ceiling})`);
    }
    b.reset();
    assert.ok(b.next() < 50);
  });
});
