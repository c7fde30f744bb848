import type { RaftStatus } from "../core/raw-node.js";
import type { NodeId } from "../core/types.js";
import type { Member } from "./member.js";

/** A running node's status: the core's view plus what the driver knows (applied state, members, health). */
export interface NodeStatus extends RaftStatus {
  /** Highest index applied to the state machine. */
  readonly applied: number;
  /** Index of the newest snapshot on disk. */
  readonly snapshotIndex: number;
  /** Every member's Raft address and identity, by id. */
  readonly members: ReadonlyMap<NodeId, Member>;
  readonly stopped: boolean;
  /** Why the node stopped itself (a storage failure), if it did. */
  readonly fatal: string | undefined;
  /**
   * Members this node heard from (any message) within the last few election timeouts, itself included. A
   * follower with a leader hears only from the leader; one without hears from every member that answers its
   * (pre-)votes.
   */
  readonly reachable: ReadonlySet<NodeId>;
  /** No leader has been known for longer than a few election timeouts: a majority is likely unreachable. */
  readonly noQuorum: boolean;
}
