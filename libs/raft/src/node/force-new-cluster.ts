import { decodeConfChange, encodeConfChange } from "../codec/codec.js";
import { Membership } from "../core/membership.js";
import {
  type ConfChange,
  type Entry,
  type HardState,
  type NodeId,
  ConfChangeType,
  EMPTY_CONF_STATE,
  EntryType,
  NONE,
} from "../core/types.js";
import { ForceNewClusterError, NothingToRecoverError } from "../errors.js";
import { type Member, encodeMemberContext } from "./member.js";
import type { PersistedState, SaveBatch } from "../storage/durable-storage.js";

/**
 * How a member's stored state is rewritten so that it alone forms the cluster (quorum-loss recovery, like etcd's
 * and Swarm's `--force-new-cluster`). Pure: it reads what storage loaded and returns the batch to persist.
 */
export interface ForceNewClusterPlan {
  /**
   * Entries from `commit + 1` on (membership changes, or one empty entry) and the new hard state. Saving it
   * overwrites the log's uncommitted tail: an entry at index i replaces i and everything after it.
   */
  readonly batch: SaveBatch;
  /** The index every entry this member knew to be committed ends at; what follows it was dropped. */
  readonly keptTo: number;
  /** Entries after `keptTo` that may never have been committed, now discarded. */
  readonly dropped: number;
  /** Voters and learners removed from the membership (their ids are retired, as after removeMember). */
  readonly removed: readonly NodeId[];
  /** Whether this member was a learner and is now promoted to the only voter. */
  readonly promoted: boolean;
  /** The new term: above every term this member has seen, so leaders of the old membership are stale. */
  readonly term: number;
  /** Index of the last rewritten entry, committed by the new hard state; the node campaigns once it is applied. */
  readonly commit: number;
}

/**
 * Plans the rewrite: keep the log up to the stored commit index, then append self-committed membership changes
 * that leave `self` the only voter (AddVoter when it was a learner, RemoveNode for every other member), at a
 * term one above any seen; `member` (this member's address and identity) is what the promotion records. Throws
 * {@link NothingToRecoverError} when nothing was ever committed, and {@link ForceNewClusterError} when `self`
 * was removed or is not a member of the committed membership.
 */
export function planForceNewCluster(state: PersistedState, self: NodeId, member: Member): ForceNewClusterPlan {
  const { hardState: hs, snapshot, entries } = state;
  const keptTo = hs.commit;
  if (keptTo === 0) {
    const why =
      snapshot === null && entries.length === 0 && hs.term === 0 ? "holds no Raft state" : "holds no committed entry";
    throw new NothingToRecoverError(
      `raft: cannot force a new cluster: this member's storage ${why}, so there is nothing to recover: ` +
        "run it on a member that was part of the cluster, or start a new cluster instead",
    );
  }
  const kept = entries.filter((e) => e.index <= keptTo);
  const membership = Membership.from(snapshot?.meta.conf ?? EMPTY_CONF_STATE);
  for (const e of kept) if (e.type === EntryType.ConfChange) membership.apply(decodeConfChange(e.data));
  if (membership.removed.has(self)) {
    throw new ForceNewClusterError(
      `raft: cannot force a new cluster from node ${self}: it was removed from the cluster, so its state is stale: ` +
        "run it on a surviving member instead",
    );
  }
  if (!membership.has(self)) {
    throw new ForceNewClusterError(
      `raft: cannot force a new cluster from node ${self}: it is not a member in its committed state ` +
        `(members: ${[...membership.voters, ...membership.learners].join(", ") || "none"}): run it on a surviving member instead`,
    );
  }
  const promoted = !membership.voters.has(self);
  const removed = [...membership.voters, ...membership.learners].filter((id) => id !== self).sort((a, b) => a - b);
  const changes: ConfChange[] = [
    ...(promoted ? [{ type: ConfChangeType.AddVoter, nodeId: self, context: encodeMemberContext(member) }] : []),
    ...removed.map((nodeId) => ({ type: ConfChangeType.RemoveNode, nodeId, context: new Uint8Array(0) })),
  ];
  const lastTerm = kept[kept.length - 1]?.term ?? snapshot?.meta.term ?? 0;
  const term = Math.max(hs.term, lastTerm) + 1;
  // With no change to make, one empty entry still cuts the uncommitted tail and carries the new term.
  const rewritten: Entry[] =
    changes.length > 0
      ? changes.map((cc, i) => ({
          term,
          index: keptTo + 1 + i,
          type: EntryType.ConfChange,
          data: encodeConfChange(cc),
        }))
      : [{ term, index: keptTo + 1, type: EntryType.Normal, data: new Uint8Array(0) }];
  const commit = keptTo + rewritten.length;
  const hardState: HardState = { term, vote: NONE, commit };
  return {
    batch: { hardState, entries: rewritten, snapshot: null },
    keptTo,
    dropped: entries.length - kept.length,
    removed,
    promoted,
    term,
    commit,
  };
}
