import assert from "node:assert/strict";
import { test } from "node:test";
import { PARTITION_TABLE, planPartition } from "./partition.js";

const m = (name: string, address: string): { name: string; address: string } => ({ name, address });
const a = m("a", "10.0.0.1");
const b = m("b", "10.0.0.2");
const c = m("c", "10.0.0.3");

test("a two-way partition drops both directions on every node of both sides", () => {
  const plan = planPartition([a], [b, c]);
  assert.deepEqual([...plan.keys()].sort(), ["a", "b", "c"]);
  const onA = plan.get("a") ?? "";
  assert.match(onA, /ip saddr \{ 10\.0\.0\.2, 10\.0\.0\.3 \} drop/);
  assert.match(onA, /ip daddr \{ 10\.0\.0\.2, 10\.0\.0\.3 \} drop/);
  const onB = plan.get("b") ?? "";
  assert.match(onB, /ip saddr \{ 10\.0\.0\.1 \} drop/);
  assert.match(onB, /ip daddr \{ 10\.0\.0\.1 \} drop/);
  assert.match(onB, new RegExp(`delete table inet ${PARTITION_TABLE}`));
});

test("a one-way partition drops only packets from the first group to the second", () => {
  const plan = planPartition([a], [b], true);
  const onA = plan.get("a") ?? "";
  const onB = plan.get("b") ?? "";
  assert.match(onA, /ip daddr \{ 10\.0\.0\.2 \} drop/);
  assert.doesNotMatch(onA, /saddr/);
  assert.match(onB, /ip saddr \{ 10\.0\.0\.1 \} drop/);
  assert.doesNotMatch(onB, /daddr/);
});

test("a node on both sides is refused with its name", () => {
  assert.throws(() => planPartition([a, b], [b]), /node b is on both sides/);
});
