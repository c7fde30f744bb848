import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvariantName } from "./sim-failure.js";
import type { SimOptions } from "./sim-options.js";
import { type SimOutcome, runSimulation } from "./simulation.js";

/** Runs seeds 1..maxSeeds and returns the first failed outcome. */
function firstFailure(
  options: Omit<SimOptions, "seed">,
  maxSeeds: number,
): Extract<SimOutcome, { ok: false }> | undefined {
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const out = runSimulation({ ...options, seed });
    if (!out.ok) return out;
  }
  return undefined;
}

// The end-to-end properties: what a user of the cluster would see broken.
const END_TO_END: readonly InvariantName[] = [
  "election-safety",
  "log-matching",
  "leader-completeness",
  "commit-safety",
  "state-machine-safety",
  "linearizability",
  "convergence",
];

test("a driver that sends before persisting is caught within a few seeds, with a replayable report", () => {
  const out = firstFailure({ mutation: "send-before-persist" }, 10);
  assert.ok(out, "no failure in 10 seeds");
  const f = out.failure;
  assert.equal(f.invariant, "durable-quorum");
  assert.match(f.message, new RegExp(`SHOAL_SIM_SEED=${f.seed}\\b`));
  assert.match(f.message, new RegExp(`at event ${f.eventIndex} `));
  assert.ok(
    f.trace.length > 0 && f.trace.some((l) => l.startsWith(`#${f.eventIndex} `)),
    "the trace ends at the failing event",
  );
  // The report replays: the same seed fails the same way at the same event.
  const again = runSimulation({ mutation: "send-before-persist", seed: f.seed });
  assert.ok(!again.ok && again.failure.eventIndex === f.eventIndex && again.failure.invariant === f.invariant);
});

test("without the direct checks, the end-to-end checks still catch a driver that sends before persisting", () => {
  const out = firstFailure({ mutation: "send-before-persist", skipChecks: ["durable-quorum", "vote-once"] }, 600);
  assert.ok(out, "no failure in 600 seeds");
  assert.ok(END_TO_END.includes(out.failure.invariant), out.failure.message);
});

test("a node that forgets its vote on restart is caught voting twice", () => {
  const out = firstFailure({ mutation: "forget-vote" }, 300);
  assert.ok(out, "no failure in 300 seeds");
  assert.ok(["vote-once", "election-safety"].includes(out.failure.invariant), out.failure.message);
});
