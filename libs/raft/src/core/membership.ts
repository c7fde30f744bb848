import { ConfChangeError } from "../errors.js";
import { type ConfChange, type ConfState, type NodeId, ConfChangeType } from "./types.js";

/**
 * The current membership: voters, learners, and every id ever removed (never admitted again).
 * Changes are applied one at a time, when their entry is applied, as in etcd's raft.
 */
export class Membership {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  readonly removed = new Set<NodeId>();

  static from(cs: ConfState): Membership {
    const m = new Membership();
    for (const id of cs.voters) m.voters.add(id);
    for (const id of cs.learners) m.learners.add(id);
    for (const id of cs.removed) m.removed.add(id);
    return m;
  }

  has(id: NodeId): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  voterList(): NodeId[] {
    return [...this.voters].sort((a, b) => a - b);
  }

  toConfState(): ConfState {
    const sorted = (s: Set<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);
    return { voters: sorted(this.voters), learners: sorted(this.learners), removed: sorted(this.removed) };
  }

  /**
   * Checks a change before it is proposed; throws {@link ConfChangeError} saying why it is refused.
   * `learnerMatch` gives a learner's replication progress for the promotion check.
   */
  validate(cc: ConfChange, lastIndex: number, learnerMatch: (id: NodeId) => number, promotionLag: number): void {
    const id = cc.nodeId;
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new ConfChangeError(`raft: node id must be a positive integer, got ${id}`);
    if (this.removed.has(id)) {
      throw new ConfChangeError(
        `raft: node id ${id} was removed from this cluster and cannot be reused: give the node a new id`,
      );
    }
    switch (cc.type) {
      case ConfChangeType.AddVoter:
        if (this.voters.has(id)) throw new ConfChangeError(`raft: node ${id} is already a voter`);
        if (this.learners.has(id)) {
          const match = learnerMatch(id);
          const behind = lastIndex - match;
          if (match === 0 || behind > promotionLag) {
            throw new ConfChangeError(
              `raft: learner ${id} is ${behind} entries behind the leader (limit ${promotionLag}): wait until it catches up`,
            );
          }
        }
        return;
      case ConfChangeType.AddLearner:
        if (this.voters.has(id)) {
          throw new ConfChangeError(
            `raft: node ${id} is a voter; demoting a voter to learner is not supported: remove it instead`,
          );
        }
        if (this.learners.has(id)) throw new ConfChangeError(`raft: node ${id} is already a learner`);
        return;
      case ConfChangeType.RemoveNode:
        if (!this.has(id)) throw new ConfChangeError(`raft: node ${id} is not a member`);
        if (this.voters.has(id) && this.voters.size === 1) {
          throw new ConfChangeError(`raft: node ${id} is the last voter; removing it would leave no cluster`);
        }
        return;
    }
  }

  /** Applies a committed change. Invalid changes (a reused id, for instance) are ignored and return false. */
  apply(cc: ConfChange): boolean {
    const id = cc.nodeId;
    if (this.removed.has(id)) return false;
    switch (cc.type) {
      case ConfChangeType.AddVoter:
        this.learners.delete(id);
        this.voters.add(id);
        return true;
      case ConfChangeType.AddLearner:
        if (this.voters.has(id)) return false;
        this.learners.add(id);
        return true;
      case ConfChangeType.RemoveNode:
        if (!this.has(id)) return false;
        this.voters.delete(id);
        this.learners.delete(id);
        this.removed.add(id);
        return true;
    }
  }
}
