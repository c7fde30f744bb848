import { RaftConfigError } from "../errors.js";
import type { LogStorage } from "./log-storage.js";
import type { NodeId } from "./types.js";

/** How ReadIndex requests are confirmed. */
export enum ReadOnlyOption {
  /** A quorum answers a heartbeat after the request (always linearizable). */
  Safe = "safe",
  /** Trust the leader lease kept by check-quorum: no round trip, but relies on bounded clock drift. */
  LeaseBased = "lease-based",
}

/** What a core needs to start. Ticks are abstract: the driver decides how long one is. */
export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: LogStorage;
  /** Ticks without a leader before a follower campaigns; randomized in [electionTick, 2*electionTick). */
  readonly electionTick: number;
  /** Ticks between leader heartbeats. Must be less than electionTick. */
  readonly heartbeatTick: number;
  /** Highest index the state machine has already applied (when restarting from a snapshot). */
  readonly applied: number;
  /** Most bytes of entries in one append message. */
  readonly maxSizePerMsg: number;
  /** Most bytes of committed entries handed out in one Ready. */
  readonly maxCommittedSizePerReady: number;
  /** Most bytes of uncommitted entries the leader accepts before dropping proposals (0: no limit). */
  readonly maxUncommittedEntriesSize: number;
  /** Most append messages in flight to one follower. */
  readonly maxInflightMsgs: number;
  /** Most bytes in flight to one follower (0: no limit). */
  readonly maxInflightBytes: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum: boolean;
  /** Candidates first ask whether they could win before raising the term. */
  readonly preVote: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  readonly disableProposalForwarding: boolean;
  /** Random integer in [0, n); the only source of randomness, so the core stays deterministic. */
  readonly random: (n: number) => number;
  /** How far (in entries) a learner may lag behind the leader's last index and still be promoted. */
  readonly promotionLag: number;
}

/** Defaults for everything but id, storage and random. */
export const DEFAULT_RAFT_CONFIG = {
  electionTick: 10,
  heartbeatTick: 1,
  applied: 0,
  maxSizePerMsg: 1024 * 1024,
  maxCommittedSizePerReady: 8 * 1024 * 1024,
  maxUncommittedEntriesSize: 64 * 1024 * 1024,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  checkQuorum: true,
  preVote: true,
  readOnlyOption: ReadOnlyOption.Safe,
  disableProposalForwarding: false,
  promotionLag: 100,
} as const;

/** The fields a caller must give; everything else has a default. */
export type RaftConfigInput = Pick<RaftConfig, "id" | "storage" | "random"> & Partial<RaftConfig>;

/** Fills defaults and validates; throws {@link RaftConfigError} naming the bad field. */
export function resolveConfig(input: RaftConfigInput): RaftConfig {
  const c: RaftConfig = { ...DEFAULT_RAFT_CONFIG, ...input };
  const positiveInt = (name: keyof RaftConfig, v: number): void => {
    if (!Number.isSafeInteger(v) || v <= 0)
      throw new RaftConfigError(`raft: config ${name} must be a positive integer, got ${v}`);
  };
  positiveInt("id", c.id);
  positiveInt("electionTick", c.electionTick);
  positiveInt("heartbeatTick", c.heartbeatTick);
  positiveInt("maxSizePerMsg", c.maxSizePerMsg);
  positiveInt("maxCommittedSizePerReady", c.maxCommittedSizePerReady);
  positiveInt("maxInflightMsgs", c.maxInflightMsgs);
  if (c.electionTick <= c.heartbeatTick) {
    throw new RaftConfigError(
      `raft: config electionTick (${c.electionTick}) must be greater than heartbeatTick (${c.heartbeatTick})`,
    );
  }
  if (c.readOnlyOption === ReadOnlyOption.LeaseBased && !c.checkQuorum) {
    throw new RaftConfigError(
      "raft: config readOnlyOption lease-based requires checkQuorum: enable checkQuorum or use safe reads",
    );
  }
  if (c.maxInflightBytes !== 0 && c.maxInflightBytes < c.maxSizePerMsg) {
    throw new RaftConfigError("raft: config maxInflightBytes must be 0 (no limit) or at least maxSizePerMsg");
  }
  return c;
}
