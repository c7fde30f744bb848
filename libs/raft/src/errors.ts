import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";
import type { NodeId } from "./core/types.js";

/**
 * The error codes of Raft (besides the common ones), with their status, meaning and remedy. Raft runs on the
 * managers, so a user meets these through the manager's API and the CLI. It also holds the codes of the test
 * tools under `./testing` (no API answers with those).
 */
export const RAFT_ERRORS = errorRegistry({
  SHOAL_ERR_NOT_LEADER: {
    status: 421,
    meaning: "the manager asked is not the Raft leader; the message names the leader when it is known",
    action:
      "send the request to the leader; the CLI and the client follow it by themselves, and retry shortly during an election",
  },
  SHOAL_ERR_PROPOSAL_DROPPED: {
    status: 503,
    meaning:
      "the leader refused a write before logging it: leadership is moving, this manager was removed, or too many writes are still uncommitted",
    action: "retry shortly; if it persists, check `shoal cluster status` for lost managers",
  },
  SHOAL_ERR_PROPOSAL_LOST: {
    status: 503,
    meaning: "a write was logged but another leader overwrote it, so it was not applied",
    action: "retry the write",
  },
  SHOAL_ERR_STOPPED: {
    status: 503,
    meaning:
      "the manager's Raft node stopped (shutdown, or a storage failure) while a request waited; a write may or may not have been applied",
    action:
      "check with an `inspect` or `ls` command, then retry against another manager; if a storage failure stopped it, read its log and restart it",
  },
  SHOAL_ERR_NO_QUORUM: {
    status: 503,
    meaning: "a majority of managers is unreachable, so nothing can be read or written consistently",
    action:
      "bring the unreachable managers back, or recover with `shoal cluster init --force-new-cluster` on a survivor; reads with stale=true still answer",
  },
  SHOAL_ERR_CONF_CHANGE: {
    status: 409,
    meaning:
      "a change of the managers was refused: another change is still in progress, the node id was removed before or is unknown, or the node is already a voter",
    action:
      "wait for the change in progress to apply and retry; join a removed node again with a fresh data dir (it gets a new id)",
  },
  SHOAL_ERR_CORRUPT: {
    status: 500,
    meaning: "stored or received Raft bytes failed validation (bad checksum, length or type, unsupported WAL version)",
    action:
      "if it is a manager's data dir, restore it from a backup or remove it and join the manager again; if it repeats on the network, check that every manager runs the same Shoal version",
  },
  SHOAL_ERR_STORAGE_FORMAT: {
    status: 500,
    meaning:
      "a WAL segment or snapshot in the manager's data dir has a format version this build does not read (version 1 is from before Raft's storage was encrypted at rest; a higher one from a newer build)",
    action:
      "there is no in-place upgrade before 1.0: keep a backup of the old data dir, start a new cluster with this version and create the services again (docs/operations.md, Upgrades); with a newer format, run the newer build",
  },
  SHOAL_ERR_STORAGE_KEY: {
    status: 500,
    meaning:
      "a WAL segment or snapshot in the manager's data dir is sealed with another data key than the one in the manager's keys.json (files copied from another manager, or keys.json replaced); the message names both key ids",
    action:
      "put this manager's own keys.json back; a data dir copied from another manager cannot be used: remove it and join this manager again",
  },
  SHOAL_ERR_SNAPSHOT_TOO_LARGE: {
    status: 413,
    meaning:
      "a peer announced a Raft snapshot larger than this manager accepts (maxSnapshotBytes, 1 GiB by default); the transfer was refused before its data was read",
    action:
      "if the cluster's state really is that large, raise maxSnapshotBytes on every manager; otherwise find the peer named in the manager's log, it is not a healthy member",
  },
  SHOAL_ERR_LOG_UNAVAILABLE: {
    status: 500,
    meaning: "internal: a log index past the end of the log was asked; Raft treats it as not there yet",
    action: "none; if it reaches you, report it with the manager's log",
  },
  SHOAL_ERR_COMPACTED: {
    status: 500,
    meaning:
      "internal: a log range was asked that is already compacted into a snapshot; Raft handles it by sending the snapshot",
    action: "none; if it reaches you, report it with the manager's log",
  },
  SHOAL_ERR_SNAPSHOT_OUT_OF_DATE: {
    status: 500,
    meaning: "internal: a snapshot older than the stored one was offered and ignored",
    action: "none; if it reaches you, report it with the manager's log",
  },
  SHOAL_ERR_RAFT_CONFIG: {
    status: 400,
    meaning:
      "Raft was given a bad option or called out of order (a peer address that is not host:port, an option out of range, bootstrap with forceNewCluster)",
    action: "fix the option the message names; a call-order error is a bug to report",
  },
  SHOAL_ERR_DATA_DIR: {
    status: 500,
    meaning:
      "the manager's Raft data dir is in use by another process, belongs to another node or cluster, is malformed, or is empty where state was expected",
    action:
      "stop the process the message names, or use this node's own data dir (--data-dir); with a damaged one, start empty and join again",
  },
  SHOAL_ERR_STORAGE_FAILED: {
    status: 500,
    meaning:
      "a write or fsync of the manager's Raft log failed (full disk, I/O error, Node < 20.15), so what reached the disk is unknown",
    action: "free disk space or fix the disk, then restart the manager: it recovers from its data dir",
  },
  SHOAL_ERR_NOTHING_TO_RECOVER: {
    status: 409,
    meaning: "`shoal cluster init --force-new-cluster` was run on a data dir that holds no manager state",
    action:
      "run it on a node that was a manager (with its --data-dir), or start a new cluster with `shoal cluster init`",
  },
  SHOAL_ERR_FORCE_NEW_CLUSTER: {
    status: 409,
    meaning: "this manager's state cannot found a new cluster (it was removed from the cluster, or never a voter)",
    action: "run `shoal cluster init --force-new-cluster` on another surviving manager",
  },
  SHOAL_ERR_DATADRIVEN: {
    status: null,
    meaning: "test tools: a datadriven scenario file is malformed, or its handler failed (the message gives file:line)",
    action: "fix the scenario file or the handler at that line",
  },
  SHOAL_ERR_DATADRIVEN_MISMATCH: {
    status: null,
    meaning: "test tools: a datadriven directive's output differs from the expected output in its file",
    action: "fix the code, or rerun with SHOAL_REWRITE=1 to accept the output and review the change to the file",
  },
  SHOAL_ERR_LINEARIZABILITY_HISTORY: {
    status: null,
    meaning:
      "test tools: the linearizability checker was given a history it cannot check (a bad time, a call completed twice)",
    action: "fix how the test records the history, as the message says",
  },
});

/**
 * Typed errors of the Raft library. Each has a stable `code`, an HTTP `status` for the API to map to, and
 * `temporary` when retrying the same call later may succeed. Decide retries from these fields, never from text.
 */
export abstract class RaftError extends ShoalError {}

/** This node is not the leader; `leaderHint` names the leader when it is known (0 otherwise). */
export class NotLeaderError extends RaftError {
  readonly code = "SHOAL_ERR_NOT_LEADER";
  readonly status = RAFT_ERRORS[this.code].status;
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
  readonly status = RAFT_ERRORS[this.code].status;
  override readonly temporary = true;
}

/** The entry was appended but later overwritten by another leader: its outcome is known to be "not applied". */
export class ProposalLostError extends RaftError {
  readonly code = "SHOAL_ERR_PROPOSAL_LOST";
  readonly status = RAFT_ERRORS[this.code].status;
  override readonly temporary = true;
}

/** The node was stopped while a request was waiting. Whether a write was applied is unknown. */
export class StoppedError extends RaftError {
  readonly code = "SHOAL_ERR_STOPPED";
  readonly status = RAFT_ERRORS[this.code].status;
  override readonly temporary = true;
}

/** A wait ran past its deadline. For writes the outcome is unknown (the entry may still commit). */
export class TimeoutError extends RaftError {
  readonly code = "SHOAL_ERR_TIMEOUT";
  readonly status = COMMON_ERRORS[this.code].status;
  override readonly temporary = true;
}

/** The cluster has no quorum reachable from this node (no leader for longer than an election). */
export class NoQuorumError extends RaftError {
  readonly code = "SHOAL_ERR_NO_QUORUM";
  readonly status = RAFT_ERRORS[this.code].status;
  override readonly temporary = true;
}

/** A membership change was refused (id reused, unknown node, would break quorum, one already pending). */
export class ConfChangeError extends RaftError {
  readonly code = "SHOAL_ERR_CONF_CHANGE";
  readonly status = RAFT_ERRORS[this.code].status;
}

/** Stored or received bytes failed validation (bad CRC, bad length, unknown type). */
export class RaftCorruptionError extends RaftError {
  readonly code = "SHOAL_ERR_CORRUPT";
  readonly status = RAFT_ERRORS[this.code].status;
}

/**
 * A WAL segment or snapshot file has a format version this build does not read. Not a corruption: the file is
 * intact, so it is neither cut off nor set aside; the start is refused until the operator acts.
 */
export class StorageFormatError extends RaftError {
  readonly code = "SHOAL_ERR_STORAGE_FORMAT";
  readonly status = RAFT_ERRORS[this.code].status;
  constructor(
    /** The file whose format was refused. */
    readonly file: string,
    /** The format version the file has. */
    readonly version: number,
    message: string,
  ) {
    super(message);
  }
}

/** A WAL segment or snapshot file is sealed with another key than the storage was given. */
export class StorageKeyError extends RaftError {
  readonly code = "SHOAL_ERR_STORAGE_KEY";
  readonly status = RAFT_ERRORS[this.code].status;
  constructor(
    /** The file sealed with the other key. */
    readonly file: string,
    /** The key id the file names. */
    readonly fileKeyId: string,
    /** The key id the storage was opened with. */
    readonly keyId: string,
  ) {
    super(
      `raft: ${file} is sealed with data key ${fileKeyId}, but this member's key is ${keyId}: the file comes from ` +
        "another member's data dir, or this member's key was replaced. Give the member its own key back, or remove " +
        "the data dir and join the member again",
    );
  }
}

/** A peer announced snapshot data larger than this node's limit; refused before any of it was buffered. */
export class SnapshotTooLargeError extends RaftError {
  readonly code = "SHOAL_ERR_SNAPSHOT_TOO_LARGE";
  readonly status = RAFT_ERRORS[this.code].status;
  constructor(
    /** The size the peer announced, in bytes. */
    readonly announcedBytes: number,
    /** This node's limit (maxSnapshotBytes), in bytes. */
    readonly limitBytes: number,
  ) {
    super(
      `raft: snapshot of ${announcedBytes} bytes exceeds the limit of ${limitBytes} bytes (maxSnapshotBytes); ` +
        "raise maxSnapshotBytes on every manager if the state is really that large",
    );
  }
}

/** The requested log range was compacted into a snapshot. */
export class CompactedError extends RaftError {
  readonly code = "SHOAL_ERR_COMPACTED";
  readonly status = RAFT_ERRORS[this.code].status;
  constructor(readonly index: number) {
    super(`raft: log index ${index} has been compacted`);
  }
}

/** The requested log index is past the end of the log. Internal to Raft: callers treat it as "not there yet". */
export class UnavailableError extends RaftError {
  readonly code = "SHOAL_ERR_LOG_UNAVAILABLE";
  readonly status = RAFT_ERRORS[this.code].status;
  constructor(readonly index: number) {
    super(`raft: log index ${index} is not available yet`);
  }
}

/** A snapshot older than the one in storage was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = "SHOAL_ERR_SNAPSHOT_OUT_OF_DATE";
  readonly status = RAFT_ERRORS[this.code].status;
}

/** Invalid configuration or arguments given by the caller. */
export class RaftConfigError extends RaftError {
  readonly code = "SHOAL_ERR_RAFT_CONFIG";
  readonly status = RAFT_ERRORS[this.code].status;
}

/** The data dir belongs to another node or cluster, or is locked by a running process. */
export class DataDirError extends RaftError {
  readonly code = "SHOAL_ERR_DATA_DIR";
  readonly status = RAFT_ERRORS[this.code].status;
}

/**
 * Durable storage cannot be used: it was closed, or an earlier write or fsync failed, which leaves what reached
 * the disk unknown. The process should stop and recover from the data dir on restart; `cause` keeps the I/O error.
 */
export class StorageFailedError extends RaftError {
  readonly code = "SHOAL_ERR_STORAGE_FAILED";
  readonly status = RAFT_ERRORS[this.code].status;
}

/** A forced new cluster was asked of a data dir that holds no committed Raft state: there is nothing to rebuild from. */
export class NothingToRecoverError extends RaftError {
  readonly code = "SHOAL_ERR_NOTHING_TO_RECOVER";
  readonly status = RAFT_ERRORS[this.code].status;
}

/** A forced new cluster was refused: this member's state cannot found one (it was removed, or never a member). */
export class ForceNewClusterError extends RaftError {
  readonly code = "SHOAL_ERR_FORCE_NEW_CLUSTER";
  readonly status = RAFT_ERRORS[this.code].status;
}
