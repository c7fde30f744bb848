import { encodeConfChange } from "../codec/codec.js";
import { ConfChangeError, NotLeaderError, ProposalDroppedError, RaftConfigError } from "../errors.js";
import { type RaftConfigInput, resolveConfig } from "./config.js";
import type { ProgressState } from "./progress.js";
import { Raft } from "./raft.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
  ConfChangeType,
  EntryType,
  MessageType,
  NONE,
  Role,
  isLocalMessage,
  isResponseMessage,
  msg,
} from "./types.js";

/** One peer as the leader sees it. */
export interface PeerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

/** A snapshot of a node's Raft state, for status pages and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly role: Role;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly leadTransferee: NodeId;
  readonly conf: ConfState;
  /** Leader only: every member's replication progress, by id. */
  readonly progress: ReadonlyMap<NodeId, PeerStatus>;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The core's driving interface, in the shape of etcd's RawNode: feed it ticks, messages and proposals; take a
 * {@link Ready}; persist, send and apply it; then call {@link advance}. Between `ready()` and `advance()` the
 * node may keep being stepped (that is how a driver overlaps disk writes with network input), but `ready()`
 * must not be called again until `advance()`.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | null = null;

  constructor(input: RaftConfigInput) {
    this.raft = new Raft(resolveConfig(input));
    this.prevSoft = { lead: this.raft.lead, role: this.raft.role };
    this.prevHard = this.raft.hardState();
  }

  /**
   * Starts a brand-new cluster whose initial voters are `peers` (each with application context, such as its
   * address). Every initial member must bootstrap with the same list. The membership entries go into the log
   * at term 1, so that nodes added later learn the whole history by replaying it.
   */
  bootstrap(peers: readonly { id: NodeId; context: Uint8Array }[]): void {
    const r = this.raft;
    if (r.log.lastIndex() !== 0 || r.term !== 0) {
      throw new RaftConfigError(
        "raft: cannot bootstrap a node whose storage is not empty (it already belongs to a cluster)",
      );
    }
    if (peers.length === 0) throw new RaftConfigError("raft: bootstrap needs at least one peer");
    const sorted = [...peers].sort((a, b) => a.id - b.id);
    r.becomeFollower(1, NONE);
    const ents: Entry[] = sorted.map((p, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddVoter, nodeId: p.id, context: p.context }),
    }));
    r.log.append(ents);
    // These entries are committed by definition; apply them now so the node knows its peers. The driver
    // will see them again in committedEntries and apply them to its own state (idempotently).
    r.log.committed = ents.length;
    for (const p of sorted) r.applyConfChange({ type: ConfChangeType.AddVoter, nodeId: p.id, context: p.context });
  }

  /** Advances the logical clock by one tick. */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (if this node may). */
  campaign(): void {
    this.raft.step(msg({ type: MessageType.Hup, from: this.raft.id }));
  }

  /** Proposes application data. Throws NotLeaderError or ProposalDroppedError when it cannot be accepted. */
  propose(data: Uint8Array): void {
    this.raft.step(
      msg({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.Normal, data }],
      }),
    );
  }

  /** Proposes a membership change (leader only). Throws ConfChangeError when it is refused. */
  proposeConfChange(cc: ConfChange): void {
    const data = encodeConfChange(cc);
    this.raft.step(
      msg({
        type: MessageType.Prop,
        from: this.raft.id,
        entries: [{ term: 0, index: 0, type: EntryType.ConfChange, data }],
      }),
    );
  }

  /** Applies a committed conf change entry; call it when the entry is applied. Returns the new membership. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message received from a peer. Local-only message types are refused. */
  step(m: Message): void {
    if (isLocalMessage(m.type))
      throw new RaftConfigError(`raft: message type ${MessageType[m.type]} cannot come from the network`);
    // Answers from nodes we do not track (removed, or not yet added) are dropped.
    if (isResponseMessage(m.type) && !this.raft.prs.has(m.from)) return;
    if (m.from === this.raft.id && (m.type === MessageType.Prop || m.type === MessageType.ReadIndex)) {
      // Our own request, forwarded back by a peer that took us for the leader: not a local call, so when it
      // cannot be served it is dropped like any forwarded request instead of throwing at the transport.
      try {
        this.raft.step(m);
      } catch (e) {
        if (!(e instanceof NotLeaderError || e instanceof ProposalDroppedError || e instanceof ConfChangeError))
          throw e;
      }
      return;
    }
    this.raft.step(m);
  }

  /** Requests a linearizable read; a ReadState with the same context appears in a later Ready. */
  readIndex(context: Uint8Array): void {
    this.raft.step(msg({ type: MessageType.ReadIndex, from: this.raft.id, entries: [], context }));
  }

  /** Asks the leader to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): void {
    this.raft.step(msg({ type: MessageType.TransferLeader, from: transferee }));
  }

  /** The transport failed to reach `id`. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(msg({ type: MessageType.Unreachable, from: id }));
  }

  /** A snapshot send to `id` finished, successfully or not. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(msg({ type: MessageType.SnapStatus, from: id, reject: !ok }));
  }

  /** Whether there is anything for the driver to do. */
  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    if (r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role) return true;
    if (!sameHardState(r.hardState(), this.prevHard)) return true;
    return (
      r.log.unstableEntries().length > 0 ||
      r.log.hasPendingSnapshot() ||
      r.msgs.length > 0 ||
      r.log.hasNextEnts() ||
      r.readStates.length > 0
    );
  }

  /** Takes the next batch of work. Call {@link advance} with it once it is persisted, sent and applied. */
  ready(): Ready {
    if (this.outstanding) throw new RaftConfigError("raft: ready() called again before advance()");
    const r = this.raft;
    const soft: SoftState = { lead: r.lead, role: r.role };
    const hard = r.hardState();
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role;
    const hardChanged = !sameHardState(hard, this.prevHard);
    const entries = r.log.unstableEntries().slice();
    const snapshot = r.log.unstable.snapshot;
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hard : null,
      entries,
      snapshot,
      committedEntries: r.log.nextEnts(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 || snapshot !== null || hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote,
      earlyMessages:
        r.role === Role.Leader &&
        snapshot === null &&
        hard.term === this.prevHard.term &&
        hard.vote === this.prevHard.vote,
    };
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.prevSoft = soft;
    if (hardChanged) this.prevHard = hard;
    this.outstanding = rd;
    return rd;
  }

  /** Acknowledges that `rd` was persisted, its messages sent and its committed entries applied. */
  advance(rd: Ready): void {
    if (this.outstanding !== rd)
      throw new RaftConfigError("raft: advance() with a Ready that is not the outstanding one");
    this.outstanding = null;
    const log = this.raft.log;
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.meta.index);
      if (log.applied < rd.snapshot.meta.index) log.applied = rd.snapshot.meta.index;
    }
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt) log.stableTo(lastEnt.index, lastEnt.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) log.appliedTo(lastCommitted.index);
    if (lastEnt) this.raft.onPersisted(log.lastStableIndex());
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress = new Map<NodeId, PeerStatus>();
    if (r.role === Role.Leader) {
      for (const [id, pr] of r.prs) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
        });
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      role: r.role,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      conf: r.membership.toConfState(),
      progress,
    };
  }
}
