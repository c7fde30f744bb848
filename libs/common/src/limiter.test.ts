import assert from "node:assert/strict";
import { test } from "node:test";
import { Limiter } from "./limiter.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test("at most `limit` operations run at once, the rest start in submission order as others end", async () => {
  const l = new Limiter(2);
  const gates = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  const all = gates.map((g, i) =>
    l.run(async () => {
      started.push(i);
      await g.promise;
      return i;
    }),
  );
  const settled = Promise.allSettled(all);
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.equal(l.active, 2);
  assert.equal(l.queued, 2);
  gates[1]!.resolve();
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.reject(new Error("boom"));
  await tick();
  assert.deepEqual(started, [0, 1, 2, 3]);
  gates[2]!.resolve();
  gates[3]!.resolve();
  const results = await settled;
  assert.deepEqual(
    results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
    ["boom", 1, 2, 3],
  );
  assert.equal(l.active, 0);
  assert.equal(l.queued, 0);
});

test("a limit that is not a positive integer is refused", () => {
  assert.throws(() => new Limiter(0), /positive integer/);
  assert.throws(() => new Limiter(1.5), /positive integer/);
});
