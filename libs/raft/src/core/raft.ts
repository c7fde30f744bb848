// Over 400 lines: the Raft state machine is one object whose step functions share its fields (role, term, log,
// progress, votes, lease); etcd's raft.go keeps them together for the same reason. The parts that stand alone
// (log, progress, quorum, membership, read-only requests) are files of their own.
import { ConfChangeError, NotLeaderError, ProposalDroppedError, RaftCorruptionError } from "../errors.js";
import { decodeConfChange } from "../codec/codec.js";
import { type RaftConfig, ReadOnlyOption } from "./config.js";
import { Membership } from "./membership.js";
import { Progress, ProgressState } from "./progress.js";
import { VoteResult, committedIndex, majority, voteResult } from "./quorum.js";
import { RaftLog } from "./raft-log.js";
import { ReadOnly } from "./read-only.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
  EntryType,
  MessageType,
  NONE,
  Role,
  entrySize,
  msg,
} from "./types.js";

/** Context marking a vote request sent on a leader's instruction (TimeoutNow): it may break a lease. */
const CAMPAIGN_TRANSFER = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]); // "transfer"

function isTransferCampaign(ctx: Uint8Array): boolean {
  return ctx.length === CAMPAIGN_TRANSFER.length && ctx.every((b, i) => b === CAMPAIGN_TRANSFER[i]);
}

function voteRespType(t: MessageType): MessageType {
  return t === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
}

/**
 * The Raft state machine of one node. Pure and deterministic: it never reads a clock, a socket or a disk, and
 * its only randomness comes from `config.random`. Messages it produces are queued in `msgs`; the driver must
 * persist the entries and hard state of the same Ready BEFORE sending them.
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  membership: Membership;
  readonly prs = new Map<NodeId, Progress>();
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  /** Leadership is being handed to this node; proposals are refused meanwhile. */
  leadTransferee: NodeId = NONE;
  /** Index of the newest conf change that may not be applied yet; one change at a time. */
  pendingConfIndex = 0;
  private uncommittedSize = 0;
  private readonly votes = new Map<NodeId, boolean>();
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its own term. */
  private pendingReadIndex: Message[] = [];
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  constructor(readonly config: RaftConfig) {
    this.id = config.id;
    this.log = new RaftLog(config.storage, config.maxCommittedSizePerReady);
    const { hardState, confState } = config.storage.initialState();
    this.membership = Membership.from(confState);
    this.resetProgress();
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (config.applied > 0) this.log.appliedTo(config.applied);
    this.becomeFollower(this.term, NONE);
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new RaftCorruptionError(
        `raft: stored commit ${hs.commit} is outside [${this.log.committed}, ${this.log.lastIndex()}]`,
      );
    }
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Whether this node may campaign: a voter, not removed, with no snapshot or conf change waiting to apply. */
  promotable(): boolean {
    return this.membership.voters.has(this.id) && !this.log.hasPendingSnapshot();
  }

  private send(m: Partial<Message> & Pick<Message, "type" | "to">): void {
    const t = m.type;
    let term = m.term ?? 0;
    if (
      t === MessageType.Vote ||
      t === MessageType.VoteResp ||
      t === MessageType.PreVote ||
      t === MessageType.PreVoteResp
    ) {
      // Vote messages carry the term of the campaign, set by the caller.
    } else if (t !== MessageType.Prop && t !== MessageType.ReadIndex) {
      term = this.term;
    }
    this.msgs.push(msg({ ...m, from: this.id, term }));
  }

  // ---- state transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.config.electionTick + this.config.random(this.config.electionTick);
    this.leadTransferee = NONE;
    this.votes.clear();
    this.resetProgress();
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  private resetProgress(): void {
    this.prs.clear();
    const last = this.log.lastIndex();
    for (const id of [...this.membership.voters, ...this.membership.learners]) {
      const match = id === this.id ? this.log.lastStableIndex() : 0;
      const pr = new Progress(
        match,
        last + 1,
        this.membership.learners.has(id),
        this.config.maxInflightMsgs,
        this.config.maxInflightBytes,
      );
      this.prs.set(id, pr);
    }
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    // Term and vote stay as they are: a pre-vote changes nothing durable.
    this.role = Role.PreCandidate;
    this.lead = NONE;
    this.votes.clear();
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    this.prs.get(this.id)?.becomeReplicate();
    // No conf change until every entry before this term is applied (the single-server change bug).
    this.pendingConfIndex = this.log.lastIndex();
    // The no-op: earlier terms' entries commit only through an entry of this term (Figure 8).
    this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
  }

  // ---- ticks ----

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(msg({ type: MessageType.Hup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTick) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.step(msg({ type: MessageType.CheckQuorum, from: this.id }));
      if (this.role === Role.Leader && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.role !== Role.Leader) return;
    if (this.heartbeatElapsed >= this.config.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step(msg({ type: MessageType.Beat, from: this.id }));
    }
  }

  // ---- elections ----

  /** Starts a pre-vote round (`pre`), or a real election; `transfer` marks one the old leader asked for. */
  private campaign(pre: boolean, transfer: boolean): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: number;
    if (pre) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, voteType, true) === VoteResult.Won) {
      if (pre) this.campaign(false, false);
      else this.becomeLeader();
      return;
    }
    for (const id of this.membership.voterList()) {
      if (id === this.id) continue;
      this.send({
        type: voteType,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? CAMPAIGN_TRANSFER : new Uint8Array(0),
      });
    }
  }

  private poll(id: NodeId, _t: MessageType, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.membership.voterList(), this.votes);
  }

  // ---- the message entry point ----

  /** Handles one message (remote, or local such as Hup/Beat/Prop). Local proposals that fail throw. */
  step(m: Message): void {
    if (m.from !== NONE && m.from !== this.id && this.membership.removed.has(m.from)) return;
    if (m.term === 0) {
      // Local message.
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = isTransferCampaign(m.context);
        const inLease =
          this.config.checkQuorum && this.lead !== NONE && this.electionElapsed < this.config.electionTick;
        // A node that heard from a live leader recently ignores campaigns: this keeps a partitioned node that
        // rejoins from disrupting a healthy cluster.
        if (!force && inLease) return;
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The term rises only when the pre-vote is won.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if (
        (this.config.checkQuorum || this.config.preVote) &&
        (m.type === MessageType.Heartbeat || m.type === MessageType.App)
      ) {
        // A stale leader learns the new term and steps down; with pre-vote this also frees a node that is
        // stuck with a higher term than the rest.
        this.send({ type: MessageType.AppResp, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        if (this.role !== Role.Leader) this.hup(false);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVote(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case Role.Leader:
        this.stepLeader(m);
        return;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        return;
      case Role.Follower:
        this.stepFollower(m);
        return;
    }
  }

  private hup(transfer: boolean): void {
    if (!this.promotable()) return;
    // A node with committed but unapplied conf changes could campaign with a stale membership.
    if (this.log.applied < this.log.committed && this.hasUnappliedConfChange()) return;
    this.campaign(this.config.preVote && !transfer, transfer);
  }

  private hasUnappliedConfChange(): boolean {
    const ents = this.log.slice(
      Math.max(this.log.applied + 1, this.log.firstIndex()),
      this.log.committed + 1,
      Number.MAX_SAFE_INTEGER,
    );
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  private handleVote(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send({ type: voteRespType(m.type), to: m.from, term: m.term });
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true });
    }
  }

  // ---- leader ----

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat(this.readOnly.lastPendingContext());
        return;
      case MessageType.CheckQuorum:
        if (!this.quorumActive()) this.becomeFollower(this.term, NONE);
        for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
        return;
      case MessageType.Prop:
        this.handleProposal(m);
        return;
      case MessageType.ReadIndex:
        this.handleReadIndex(m);
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m.from);
        return;
      default:
        break;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        pr.recentActive = true;
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return;
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the follower's answer (or a heartbeat answer) before probing again.
        pr.probeSent = true;
        return;
      case MessageType.Unreachable:
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  private handleProposal(m: Message): void {
    const local = m.from === this.id || m.from === NONE;
    const refuse = (e: Error): void => {
      if (local) throw e;
    };
    if (m.entries.length === 0) return refuse(new ProposalDroppedError("raft: empty proposal"));
    if (!this.prs.has(this.id)) return refuse(new ProposalDroppedError("raft: this node was removed from the cluster"));
    if (this.leadTransferee !== NONE) {
      return refuse(
        new ProposalDroppedError(`raft: leadership is being transferred to node ${this.leadTransferee}: retry shortly`),
      );
    }
    const ents: Entry[] = [];
    for (const e of m.entries) {
      if (e.type === EntryType.ConfChange) {
        try {
          this.checkConfChange(decodeConfChange(e.data));
        } catch (err) {
          refuse(err as Error);
          return;
        }
        this.pendingConfIndex = this.log.lastIndex() + ents.length + 1;
      }
      ents.push(e);
    }
    if (!this.appendEntries(ents)) {
      return refuse(
        new ProposalDroppedError(
          "raft: too many uncommitted entries (the cluster is overloaded or lost quorum): retry later",
        ),
      );
    }
    this.bcastAppend();
  }

  private checkConfChange(cc: ConfChange): void {
    if (this.pendingConfIndex > this.log.applied) {
      throw new ConfChangeError("raft: another membership change is still in progress: retry once it is applied");
    }
    this.membership.validate(cc, this.log.lastIndex(), (id) => this.prs.get(id)?.match ?? 0, this.config.promotionLag);
  }

  /** Appends entries at the leader, assigning terms and indexes; false if the uncommitted limit refuses them. */
  private appendEntries(es: readonly Entry[]): boolean {
    const limit = this.config.maxUncommittedEntriesSize;
    let size = 0;
    for (const e of es) size += e.data.byteLength;
    if (limit > 0 && this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > limit) return false;
    this.uncommittedSize += size;
    const li = this.log.lastIndex();
    const ents = es.map((e, i) => ({ term: this.term, index: li + 1 + i, type: e.type, data: e.data }));
    this.log.append(ents);
    // The leader's own acknowledgement comes only once these entries are persisted (see onPersisted).
    return true;
  }

  /** Driver callback: entries up to `index` are durable. For the leader this is its own vote for them. */
  onPersisted(index: number): void {
    if (this.role !== Role.Leader) return;
    const pr = this.prs.get(this.id);
    if (pr && pr.maybeUpdate(index) && this.maybeCommit()) this.bcastAppend();
  }

  private maybeCommit(): boolean {
    const mci = committedIndex(this.membership.voterList(), (id) => this.prs.get(id)?.match ?? 0);
    const before = this.log.committed;
    if (!this.log.maybeCommit(mci, this.term)) return false;
    this.reduceUncommittedSize(before);
    if (this.pendingReadIndex.length > 0 && this.committedEntryInCurrentTerm()) {
      const pending = this.pendingReadIndex;
      this.pendingReadIndex = [];
      for (const r of pending) this.handleReadIndex(r);
    }
    return true;
  }

  private reduceUncommittedSize(before: number): void {
    if (this.uncommittedSize === 0) return;
    let size = 0;
    for (const e of this.log.slice(before + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER))
      size += e.data.byteLength;
    this.uncommittedSize = Math.max(0, this.uncommittedSize - size);
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    if (m.reject) {
      let hint = m.rejectHint;
      if (m.logTerm > 0) hint = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    // An answer to a probe at the index we already knew also proves the logs match from there.
    const probeAcked = pr.state === ProgressState.Probe && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !probeAcked) {
      if (wasPaused && !pr.isPaused()) this.sendAppend(m.from, false);
      return;
    }
    if (pr.state === ProgressState.Probe) pr.becomeReplicate();
    else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
      // The follower caught up past the snapshot (or the log it needs is available again).
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) pr.inflights.freeLE(m.index);

    if (this.maybeCommit()) this.bcastAppend();
    // A follower that was paused missed the appends that carried the latest commit index: send it, even empty.
    else this.sendAppend(m.from, wasPaused);
    while (this.sendAppend(m.from, false)) {
      // Fill the pipeline while the window allows.
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: MessageType.TimeoutNow, to: m.from });
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (this.config.readOnlyOption !== ReadOnlyOption.Safe || m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    let voters = 0;
    for (const id of acks) if (this.membership.voters.has(id)) voters++;
    if (voters < majority(this.membership.voters.size)) return;
    for (const rs of this.readOnly.advance(m.context)) this.respondToReadIndex(rs.req, rs.index);
  }

  private handleReadIndex(m: Message): void {
    if (this.membership.voters.size === 1 && this.membership.voters.has(this.id)) {
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      // The commit index of a new leader may be stale until its no-op commits.
      this.pendingReadIndex.push(m);
      return;
    }
    if (this.config.readOnlyOption === ReadOnlyOption.LeaseBased) {
      this.respondToReadIndex(m, this.log.committed);
      return;
    }
    this.readOnly.addRequest(this.log.committed, m);
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeat(m.context);
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, context: req.context });
    } else {
      this.send({ type: MessageType.ReadIndexResp, to: req.from, index, context: req.context });
    }
  }

  private handleTransferLeader(target: NodeId): void {
    const pr = this.prs.get(target);
    if (!pr || pr.isLearner) return;
    if (this.leadTransferee === target || target === this.id) return;
    this.electionElapsed = 0;
    this.leadTransferee = target;
    if (pr.match === this.log.lastIndex()) this.send({ type: MessageType.TimeoutNow, to: target });
    else this.sendAppend(target, true);
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.membership.voters) {
      if (id === this.id || this.prs.get(id)?.recentActive) active++;
    }
    return active >= majority(this.membership.voters.size);
  }

  /** Sends an append (or a snapshot) to `to` if its progress allows; returns whether a message went out. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    const prevTerm = this.log.term(pr.next - 1);
    let ents: Entry[] | undefined;
    if (prevTerm !== undefined) {
      try {
        ents = this.log.entries(pr.next, this.config.maxSizePerMsg);
      } catch {
        ents = undefined;
      }
    }
    if (prevTerm === undefined || ents === undefined) {
      // The entries were compacted away: send the snapshot instead.
      if (!pr.recentActive) return false;
      const snap = this.log.snapshot();
      if (snap.meta.index === 0) return false;
      this.send({ type: MessageType.Snap, to, snapshot: snap });
      pr.becomeSnapshot(snap.meta.index);
      return true;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: MessageType.App,
      to,
      index: pr.next - 1,
      logTerm: prevTerm,
      entries: ents,
      commit: this.log.committed,
    });
    if (ents.length > 0) {
      const last = (ents[ents.length - 1] as Entry).index;
      if (pr.state === ProgressState.Replicate) {
        let bytes = 0;
        for (const e of ents) bytes += entrySize(e);
        pr.optimisticUpdate(last);
        pr.inflights.add(last, bytes);
      } else if (pr.state === ProgressState.Probe) {
        pr.probeSent = true;
      }
    } else if (pr.state === ProgressState.Probe) {
      pr.probeSent = true;
    }
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id, true);
  }

  private bcastHeartbeat(ctx: Uint8Array | undefined): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to have.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: MessageType.Heartbeat, to: id, commit, context: ctx ?? new Uint8Array(0) });
    }
  }

  // ---- candidate ----

  private stepCandidate(m: Message): void {
    const myVoteResp = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        if (m.from === this.id || m.from === NONE) throw new NotLeaderError(NONE);
        return;
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.ReadIndex:
        if (m.from === this.id || m.from === NONE) throw new NotLeaderError(NONE);
        return;
      default:
        break;
    }
    if (m.type !== myVoteResp) return;
    const res = this.poll(m.from, m.type, !m.reject);
    if (res === VoteResult.Won) {
      if (this.role === Role.PreCandidate) this.campaign(false, false);
      else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (res === VoteResult.Lost) {
      this.becomeFollower(this.term, NONE);
    }
  }

  // ---- follower ----

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE || this.config.disableProposalForwarding) {
          if (m.from === this.id || m.from === NONE) throw new NotLeaderError(this.lead);
          return;
        }
        this.msgs.push({ ...m, from: m.from === NONE ? this.id : m.from, to: this.lead });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead !== NONE) this.msgs.push({ ...m, to: this.lead });
        return;
      case MessageType.TimeoutNow:
        this.hup(true);
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) {
          if (m.from === this.id || m.from === NONE) throw new NotLeaderError(NONE);
          return;
        }
        this.msgs.push({ ...m, from: m.from === NONE ? this.id : m.from, to: this.lead });
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send({ type: MessageType.AppResp, to: m.from, index: lastNew });
      return;
    }
    // Reject, with a hint that lets the leader skip a whole term of mismatching entries.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send({
      type: MessageType.AppResp,
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: hintTerm,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({ type: MessageType.HeartbeatResp, to: m.from, context: m.context });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap && this.restore(snap)) {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: MessageType.AppResp, to: m.from, index: this.log.committed });
    }
  }

  /** Installs a snapshot from the leader; false if we already have everything it holds. */
  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // Our log already has the snapshot's last entry: just commit up to it.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.membership = Membership.from(s.meta.conf);
    this.resetProgress();
    return true;
  }

  // ---- membership ----

  /** Applies a committed conf change; returns the membership after it. */
  applyConfChange(cc: ConfChange): ConfState {
    if (this.membership.apply(cc)) {
      this.resetProgressAfterChange();
      if (this.role === Role.Leader) {
        if (!this.membership.voters.has(this.id)) {
          // A removed (or demoted) leader steps down; the others elect a successor.
          this.becomeFollower(this.term, NONE);
        } else {
          if (this.leadTransferee !== NONE && !this.membership.voters.has(this.leadTransferee))
            this.leadTransferee = NONE;
          // A smaller quorum may commit more; new members need appends either way.
          this.maybeCommit();
          this.bcastAppend();
        }
      }
    }
    return this.membership.toConfState();
  }

  private resetProgressAfterChange(): void {
    const last = this.log.lastIndex();
    for (const id of [...this.prs.keys()]) {
      if (!this.membership.has(id)) this.prs.delete(id);
    }
    for (const id of [...this.membership.voters, ...this.membership.learners]) {
      const pr = this.prs.get(id);
      if (pr) {
        pr.isLearner = this.membership.learners.has(id);
        continue;
      }
      const np = new Progress(
        0,
        last + 1,
        this.membership.learners.has(id),
        this.config.maxInflightMsgs,
        this.config.maxInflightBytes,
      );
      np.recentActive = true;
      this.prs.set(id, np);
    }
  }
}
