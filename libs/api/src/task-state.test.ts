import assert from "node:assert/strict";
import { test } from "node:test";
import { TASK_STATES, canTransition, isTerminal } from "./task-state.js";

test("task states only move forwards and never leave a terminal state", () => {
  assert.ok(canTransition("new", "pending"));
  assert.ok(canTransition("assigned", "running"));
  assert.ok(canTransition("running", "failed"));
  assert.ok(canTransition("pending", "shutdown"));
  assert.ok(canTransition("running", "running"), "a repeated report");
  assert.equal(canTransition("running", "starting"), false);
  assert.equal(canTransition("assigned", "pending"), false);
  assert.equal(canTransition("failed", "running"), false);
  assert.equal(canTransition("complete", "shutdown"), false);
});

test("the terminal states are the six after running", () => {
  assert.deepEqual(TASK_STATES.filter(isTerminal), [
    "complete",
    "shutdown",
    "failed",
    "rejected",
    "remove",
    "orphaned",
  ]);
});
