import assert from "node:assert/strict";
import { test } from "node:test";
import { StatusReporter } from "./status-reporter.js";

type Sent = { taskId: string; state: string }[];

function reporter(o: { online?: () => boolean; maxBatch?: number } = {}) {
  const batches: Sent[] = [];
  const r = new StatusReporter({
    send: (updates) => {
      if (o.online && !o.online()) return false;
      batches.push(updates.map((u) => ({ taskId: u.taskId, state: u.status.state })));
      return true;
    },
    flushMs: 60_000, // flushed by hand or by size in these tests
    now: () => Date.UTC(2026, 0, 1),
    ...(o.maxBatch === undefined ? {} : { maxBatch: o.maxBatch }),
  });
  return { r, batches };
}

test("status: one update per task per batch, its latest", () => {
  const { r, batches } = reporter();
  r.report("t1", { state: "accepted", message: "" });
  r.report("t1", { state: "preparing", message: "" });
  r.report("t2", { state: "accepted", message: "" });
  r.flush();
  assert.deepEqual(batches, [
    [
      { taskId: "t1", state: "preparing" },
      { taskId: "t2", state: "accepted" },
    ],
  ]);
  assert.equal(r.pending, 0);
  r.close();
});

test("status: reports never move a task backwards, from its last report or the managers' state", () => {
  const { r } = reporter();
  assert.equal(r.report("t1", { state: "running", message: "" }), true);
  assert.equal(r.report("t1", { state: "starting", message: "" }), false);
  assert.equal(r.report("t1", { state: "running", message: "" }), false, "a repeat is not a move");
  assert.equal(r.report("t2", { state: "running", message: "" }, "failed"), false, "the managers ended it");
  assert.equal(r.report("t3", { state: "running", message: "" }, "starting"), true);
  assert.equal(r.report("t1", { state: "failed", message: "" }), true);
  assert.equal(r.report("t1", { state: "complete", message: "" }), false, "terminal states are final");
  r.close();
});

test("status: updates wait while sending is impossible, and a new session gets every task's latest again", () => {
  let online = false;
  const { r, batches } = reporter({ online: () => online });
  r.report("t1", { state: "running", message: "" });
  r.flush();
  assert.deepEqual(batches, []);
  assert.equal(r.pending, 1);
  online = true;
  r.flush();
  assert.deepEqual(batches, [[{ taskId: "t1", state: "running" }]]);
  r.report("t2", { state: "failed", message: "" });
  r.forget("t2");
  r.resendAll();
  assert.deepEqual(batches.at(-1), [{ taskId: "t1", state: "running" }], "forgotten tasks are not resent");
  r.close();
});

test("status: a full batch goes at once, in batches of at most maxBatch", () => {
  const { r, batches } = reporter({ maxBatch: 2 });
  r.report("a", { state: "accepted", message: "" });
  assert.equal(batches.length, 0);
  r.report("b", { state: "accepted", message: "" });
  assert.deepEqual(batches, [
    [
      { taskId: "a", state: "accepted" },
      { taskId: "b", state: "accepted" },
    ],
  ]);
  for (const id of ["c", "d", "e"]) r.report(id, { state: "accepted", message: "" });
  r.flush();
  assert.deepEqual(
    batches.map((b) => b.length),
    [2, 2, 1],
  );
  r.close();
});
