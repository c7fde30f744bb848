/**
 * A seeded, deterministic simulator of a Raft cluster built on the core: virtual time, lossy network with
 * partitions, crashing nodes with torn disk writes, snapshots, membership changes and linearizable clients, with
 * Raft's safety properties checked after every event. `runSimulation({ seed })` runs one seed.
 */
export { Simulation, runSimulation, type SimOutcome, type SimStats } from "./simulation.js";
export type { SimMutation, SimOptions, SimParams } from "./sim-options.js";
export { InvariantViolation, SimFailure, type InvariantName } from "./sim-failure.js";
export { CI_MIN_SEEDS, seedRange, type SeedRange } from "./seed-range.js";
export { EventQueue, type Scheduled } from "./event-queue.js";
