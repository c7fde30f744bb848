import assert from "node:assert/strict";
import { test } from "node:test";
import { seedRange } from "./seed-range.js";
import { runSimulation } from "./simulation.js";

// SHOAL_SIM_SEED=<n> replays one seed; SHOAL_SIM_SEEDS=<count> and SHOAL_SIM_START=<n> choose a range.
const range = seedRange(process.env, 1000);
const label = range.count === 1 ? `seed ${range.start}` : `${range.count} seeds from ${range.start}`;

test(`every safety property holds after every event, and histories are linearizable (${label})`, () => {
  let unknown = 0;
  for (let seed = range.start; seed < range.start + range.count; seed++) {
    const out = runSimulation({ seed });
    if (!out.ok) assert.fail(out.failure.message);
    if (out.stats.linearizable === "unknown") unknown++;
  }
  // The checker may give up on a hard history; that is acceptable now and then, not as a habit.
  const allowed = Math.max(1, Math.floor(range.count / 100));
  assert.ok(
    unknown <= allowed,
    `linearizability undecided for ${unknown} of ${range.count} seeds (allowed ${allowed})`,
  );
});

test("the same seed replays the same run", () => {
  const a = runSimulation({ seed: 42 });
  const b = runSimulation({ seed: 42 });
  assert.deepEqual(a.stats, b.stats);
  assert.ok(a.stats.events > 1000, `a run is not trivial (${a.stats.events} events)`);
});

test("runs exercise every kind of fault and recovery", () => {
  const total = new Map<string, number>();
  let ops = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const out = runSimulation({ seed });
    if (!out.ok) assert.fail(out.failure.message);
    ops += out.stats.ops;
    for (const [k, v] of Object.entries(out.stats.counters)) total.set(k, (total.get(k) ?? 0) + v);
  }
  const want = [
    "fault-crash",
    "fault-partition",
    "fault-transfer",
    "fault-crash-voter",
    "crash-write-torn",
    "crash-write-lost",
    "crash-power-loss",
    "snapshot-taken",
    "snapshot-installed",
    "applied-AddLearner",
    "applied-AddVoter",
    "applied-RemoveNode",
    "op-get-ok",
    "op-put-ok",
    "op-cas-ok",
    "op-put-unknown",
  ];
  for (const k of want)
    assert.ok((total.get(k) ?? 0) > 0, `no ${k} in 60 seeds: ${JSON.stringify(Object.fromEntries(total))}`);
  assert.ok(ops > 60 * 50, `clients made progress (${ops} operations)`);
});
