import { ShoalError } from "@shoal/common";
import type { NodeId } from "./core/types.js";

/**
 * Typed errors of the Raft library. Each has a stable `code`, an HTTP `status` for the API to map to, and
 * `temporary` when retrying the same call later may succeed. Decide retries from these fields, never from text.
 */
export abstract class RaftError extends ShoalError {}

/** This node is not the leader; `leaderHint` names the leader when it is known (0 otherwise). */
export class NotLeaderError extends RaftError {
  readonly code = "SHOAL_ERR_NOT_LEADER";
  readonly status = 421;
  override readonly temporary = true;
  constructor(
    readonly leaderHint: NodeId,
    /** The leader's Raft address, when known. */
    readonly leaderAddress?: string,
  ) {
    super(
      leaderHint
        ? `raft: not the leader; the leader is node ${leaderHint}${leaderAddress ? ` at ${leaderAddress}` : ""}: send the request there`
        : "raft: not the leader and no leader is known (election in progress?): retry shortly",
    );
  }
}

/** A proposal was dropped: no leader, leadership transfer in progress, or a conf change already pending. */
export class ProposalDroppedError extends RaftError {
  readonly code = "SHOAL_ERR_PROPOSAL_DROPPED";
  readonly status = 503;
  override readonly temporary = true;
}

/** The entry was appended but later overwritten by another leader: its outcome is known to be "not applied". */
export class ProposalLostError extends RaftError {
  readonly code = "SHOAL_ERR_PROPOSAL_LOST";
  readonly status = 503;
  override readonly temporary = true;
}

/** The node was stopped while a request was waiting. Whether a write was applied is unknown. */
export class StoppedError extends RaftError {
  readonly code = "SHOAL_ERR_STOPPED";
  readonly status = 503;
  override readonly temporary = true;
}

/** A wait ran past its deadline. For writes the outcome is unknown (the entry may still commit). */
export class TimeoutError extends RaftError {
  readonly code = "SHOAL_ERR_TIMEOUT";
  readonly status = 504;
  override readonly temporary = true;
}

/** The cluster has no quorum reachable from this node (no leader for longer than an election). */
export class NoQuorumError extends RaftError {
  readonly code = "SHOAL_ERR_NO_QUORUM";
  readonly status = 503;
  override readonly temporary = true;
}

/** A membership change was refused (id reused, unknown node, would break quorum, one already pending). */
export class ConfChangeError extends RaftError {
  readonly code = "SHOAL_ERR_CONF_CHANGE";
  readonly status = 409;
}

/** Stored or received bytes failed validation (bad CRC, bad length, unknown type). */
export class RaftCorruptionError extends RaftError {
  readonly code = "SHOAL_ERR_CORRUPT";
  readonly status = 500;
}

/** The requested log range was compacted into a snapshot. */
export class CompactedError extends RaftError {
  readonly code = "SHOAL_ERR_COMPACTED";
  readonly status = 500;
  constructor(readonly index: number) {
    super(`raft: log index ${index} has been compacted`);
  }
}

/** The requested log index is past the end of the log. */
export class UnavailableError extends RaftError {
  readonly code = "SHOAL_ERR_UNAVAILABLE";
  readonly status = 500;
  constructor(readonly index: number) {
    super(`raft: log index ${index} is not available yet`);
  }
}

/** A snapshot older than the one in storage was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = "SHOAL_ERR_SNAPSHOT_OUT_OF_DATE";
  readonly status = 500;
}

/** Invalid configuration or arguments given by the caller. */
export class RaftConfigError extends RaftError {
  readonly code = "SHOAL_ERR_RAFT_CONFIG";
  readonly status = 400;
}

/** The data dir belongs to another node or cluster, or is locked by a running process. */
export class DataDirError extends RaftError {
  readonly code = "SHOAL_ERR_DATA_DIR";
  readonly status = 500;
}

/**
 * Durable storage cannot be used: it was closed, or an earlier write or fsync failed, which leaves what reached
 * the disk unknown. The process should stop and recover from the data dir on restart; `cause` keeps the I/O error.
 */
export class StorageFailedError extends RaftError {
  readonly code = "SHOAL_ERR_STORAGE_FAILED";
  readonly status = 500;
}

/** A forced new cluster was asked of a data dir that holds no committed Raft state: there is nothing to rebuild from. */
export class NothingToRecoverError extends RaftError {
  readonly code = "SHOAL_ERR_NOTHING_TO_RECOVER";
  readonly status = 409;
}

/** A forced new cluster was refused: this member's state cannot found one (it was removed, or never a member). */
export class ForceNewClusterError extends RaftError {
  readonly code = "SHOAL_ERR_FORCE_NEW_CLUSTER";
  readonly status = 409;
}
