import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExitInfo } from "../types.js";
import { ExitWaiters } from "./exit-waiters.js";

const exit: ExitInfo = { exitCode: 3, oomKilled: false, finishedAt: "2026-01-01T00:00:00.000Z" };

test("everyone waiting on a container gets the same exit, also those who asked before it was made", async () => {
  const w = new ExitWaiters();
  const early = w.exitOf("a");
  assert.equal(w.exitOf("a"), early);
  w.resolve("a", exit);
  assert.deepEqual(await early, exit);
  assert.deepEqual(await w.exitOrAbort("a", undefined), exit);
});

test("an abort rejects the wait with the signal's reason; the exit still reaches the others", async () => {
  const w = new ExitWaiters();
  const ac = new AbortController();
  const aborted = w.exitOrAbort("a", ac.signal);
  ac.abort(new Error("gave up"));
  await assert.rejects(aborted, /gave up/);
  await assert.rejects(w.exitOrAbort("a", AbortSignal.abort(new Error("already"))), /already/);
  w.resolve("a", exit);
  assert.deepEqual(await w.exitOf("a"), exit);
});

test("after delete, a container's next exit is a new promise", async () => {
  const w = new ExitWaiters();
  w.resolve("a", exit);
  w.delete("a");
  const next = w.exitOf("a");
  w.resolve("a", { ...exit, exitCode: 0 });
  assert.equal((await next).exitCode, 0);
});
