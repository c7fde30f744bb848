import type { RaftConfig } from "../../core/config.js";
import type { Rng } from "../rng.js";
import type { InvariantName } from "./sim-failure.js";

/**
 * Deliberate driver bugs, to prove the invariant checks can fail:
 * - `send-before-persist`: drivers send a Ready's messages before its write, and a crash loses the write whole;
 * - `forget-vote`: a restarted node has lost its vote, so it may vote twice in one term.
 */
export type SimMutation = "none" | "send-before-persist" | "forget-vote";

/** What a caller may choose about a run; everything else is drawn from the seed. */
export interface SimOptions {
  readonly seed: number;
  /** Initial voters (default: 3 to 5, from the seed). */
  readonly nodes?: number;
  readonly mutation?: SimMutation;
  /** Faults and new client operations stop at this virtual time (ms). */
  readonly activeMs?: number;
  /** After that, how long the healed cluster has to converge (ms). */
  readonly settleMs?: number;
  /** Mean virtual time between faults (ms). */
  readonly faultGapMs?: number;
  /** Most client operations in the run. */
  readonly maxOps?: number;
  readonly clients?: number;
  readonly keys?: number;
  /** Events kept for a failure's trace. */
  readonly traceSize?: number;
  /** Real-time budget of the linearizability check (ms). */
  readonly checkTimeoutMs?: number;
  /** Checks to leave out (tests use this to show that the deeper checks catch a mutation on their own). */
  readonly skipChecks?: readonly InvariantName[];
}

/** Every parameter of a run, resolved from {@link SimOptions} and the seed. */
export interface SimParams {
  readonly seed: number;
  readonly nodes: number;
  readonly mutation: SimMutation;
  readonly activeMs: number;
  readonly settleMs: number;
  readonly faultGapMs: number;
  readonly maxOps: number;
  readonly clients: number;
  readonly keys: number;
  readonly traceSize: number;
  readonly checkTimeoutMs: number;
  /** Virtual ms per core tick (each node drifts a little around it). */
  readonly tickMs: number;
  /** Core settings, varied between seeds (small message and batch limits, pre-vote and check-quorum on or off). */
  readonly core: CoreSettings;
  /** Network: one-way latency range (ms), drop and duplicate probabilities. */
  readonly latency: readonly [number, number];
  readonly dropRate: number;
  readonly dupRate: number;
  /** Share of messages held back for a long time (20-300 ms), to arrive stale, after the terms moved on. */
  readonly stragglerRate: number;
  /** Share of dropped messages the sender hears about (reportUnreachable). */
  readonly reportRate: number;
  /** Disk write latency range (ms) for a Ready that must be synced. */
  readonly diskLatency: readonly [number, number];
  /** Application snapshot every this many applied entries, keeping this many entries below it. */
  readonly snapshotEvery: number;
  readonly snapshotKeep: number;
  /** Client: per-attempt timeout and whole-operation deadline (ms). */
  readonly attemptTimeoutMs: number;
  readonly opDeadlineMs: number;
}

/** The core settings a run varies. */
export type CoreSettings = Pick<
  RaftConfig,
  | "electionTick"
  | "heartbeatTick"
  | "preVote"
  | "checkQuorum"
  | "maxSizePerMsg"
  | "maxInflightMsgs"
  | "maxInflightBytes"
  | "maxCommittedSizePerReady"
  | "maxUncommittedEntriesSize"
  | "disableProposalForwarding"
>;

function coreSettings(rng: Rng): CoreSettings {
  const smallMessages = rng.chance(0.3);
  return {
    electionTick: 10,
    heartbeatTick: rng.intIn(1, 3),
    preVote: rng.chance(0.8),
    checkQuorum: rng.chance(0.8),
    maxSizePerMsg: smallMessages ? 150 : 1024 * 1024,
    maxInflightMsgs: rng.pick([1, 4, 256]),
    maxInflightBytes: smallMessages && rng.chance(0.5) ? 600 : 0,
    maxCommittedSizePerReady: rng.chance(0.3) ? 200 : 8 * 1024 * 1024,
    maxUncommittedEntriesSize: rng.chance(0.2) ? 1500 : 0,
    disableProposalForwarding: rng.chance(0.2),
  };
}

/** Fills defaults and draws the network and storage parameters of this run from `rng`. */
export function resolveParams(o: SimOptions, rng: Rng): SimParams {
  const maxLatency = rng.between(2, 12);
  return {
    seed: o.seed,
    nodes: o.nodes ?? rng.intIn(3, 5),
    mutation: o.mutation ?? "none",
    activeMs: o.activeMs ?? 3000,
    settleMs: o.settleMs ?? 3000,
    faultGapMs: o.faultGapMs ?? rng.between(20, 160),
    maxOps: o.maxOps ?? 300,
    clients: o.clients ?? 3,
    keys: o.keys ?? 3,
    traceSize: o.traceSize ?? 50,
    checkTimeoutMs: o.checkTimeoutMs ?? 2000,
    tickMs: 10,
    core: coreSettings(rng),
    latency: [0.5, maxLatency],
    dropRate: rng.chance(0.2) ? 0 : rng.between(0, 0.06),
    dupRate: rng.between(0, 0.03),
    stragglerRate: rng.between(0, 0.02),
    reportRate: 0.5,
    diskLatency: [0.2, rng.between(1, 8)],
    snapshotEvery: rng.chance(0.2) ? rng.intIn(2, 6) : rng.intIn(10, 40),
    snapshotKeep: rng.intIn(0, 8),
    attemptTimeoutMs: 150,
    opDeadlineMs: 600,
  };
}
