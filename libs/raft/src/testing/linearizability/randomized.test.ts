import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOperations } from "./checker.js";
import type { Operation } from "./history.js";
import { type KvInput, type KvOutput, isKvUnknown, kvModel } from "./kv-model.js";
import { prng, simulateKvHistory } from "./random-kv-history.js";

type KvOp = Operation<KvInput, KvOutput>;

// LINEARIZABILITY_SEED=<n> replays one seed.
const replay = process.env["LINEARIZABILITY_SEED"];
const SEEDS = replay === undefined ? Array.from({ length: 40 }, (_, i) => 1000 + i) : [Number(replay)];

/**
 * Replaces the output of one completed get with a value it cannot see: `null` or a value whose (completed)
 * put returned before a newer completed put on that key was called, that newer put having returned before
 * the get was called. Values are unique, so no linearization can give the get that value.
 */
function injectStaleRead(history: readonly KvOp[], seed: number): { history: KvOp[]; victim: number } | undefined {
  const rand = prng(seed ^ 0x5eed);
  const done = (op: KvOp): boolean => op.return !== Infinity && !isKvUnknown(op.output);
  const puts = history.filter((op) => op.input.op === "put" && done(op));
  const gets = history.map((op, i) => ({ op, i })).filter(({ op }) => op.input.op === "get" && done(op));
  for (let tries = gets.length; tries > 0; tries--) {
    const { op: g, i } = gets[Math.floor(rand() * gets.length)] as { op: KvOp; i: number };
    const newer = puts.find((p) => p.input.key === g.input.key && p.return < g.call);
    if (newer === undefined) continue;
    const older = puts.find((q) => q.input.key === g.input.key && q.return < newer.call);
    const stale = older !== undefined && older.input.op === "put" && rand() < 0.7 ? older.input.value : null;
    const copy = [...history];
    copy[i] = { ...g, output: { value: stale } };
    return { history: copy, victim: i };
  }
  return undefined;
}

describe("randomized histories of a simulated KV store", () => {
  it("a history produced by a sequential store is always linearizable", () => {
    for (const seed of SEEDS) {
      const history = simulateKvHistory({ seed, clients: 5, keys: 3, operations: 300, indeterminateRate: 0.02 });
      const got = checkOperations(kvModel, history, { timeoutMs: 10_000 });
      assert.equal(got.result, "ok", `seed ${seed} (replay: LINEARIZABILITY_SEED=${seed}): ${got.info ?? ""}`);
      assert.equal(got.partitions, 3, `seed ${seed}`);
    }
  });

  it("the same history with one stale read injected is always illegal, and the report names that read", () => {
    for (const seed of SEEDS) {
      const history = simulateKvHistory({ seed, clients: 5, keys: 3, operations: 300, indeterminateRate: 0.02 });
      const injected = injectStaleRead(history, seed);
      assert.ok(injected, `seed ${seed}: no get followed a completed put; the simulation is too small`);
      const got = checkOperations(kvModel, injected.history, { timeoutMs: 10_000 });
      const replayHint = `seed ${seed} (replay: LINEARIZABILITY_SEED=${seed})`;
      const why = `${replayHint}, stale read #${injected.victim}: ${got.info ?? ""}`;
      assert.equal(got.result, "illegal", why);
      const victim = injected.history[injected.victim] as KvOp;
      assert.match(got.info ?? "", new RegExp(`partition key "${victim.input.key}"`), why);
    }
  });

  it("checks a few thousand operations over a few keys well within the timeout", () => {
    const seed = 7;
    const history = simulateKvHistory({ seed, clients: 8, keys: 4, operations: 4000, indeterminateRate: 0.005 });
    const got = checkOperations(kvModel, history, { timeoutMs: 20_000 });
    assert.equal(got.result, "ok", `seed ${seed}: ${got.info ?? ""}`);
    assert.equal(got.partitions, 4);
  });
});
