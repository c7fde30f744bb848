// Over 400 lines: the driver of one Raft node is one event loop (tick, ready, persist, send, apply) whose
// proposals, read barriers, membership changes and snapshots share its state; the parts that stand alone
// (waiters, read waiters, snapshot envelope, force-new-cluster plan, open) are files of their own.
import { randomInt } from "node:crypto";
import { decodeConfChange } from "../codec/codec.js";
import type { RaftConfig } from "../core/config.js";
import { MemoryStorage } from "../core/log-storage.js";
import { RawNode } from "../core/raw-node.js";
import {
  type ConfChange,
  type Entry,
  type NodeId,
  type Ready,
  type SoftState,
  ConfChangeType,
  EntryType,
  NONE,
  Role,
} from "../core/types.js";
import {
  ConfChangeError,
  NoQuorumError,
  NotLeaderError,
  RaftConfigError,
  StoppedError,
  TimeoutError,
} from "../errors.js";
import type { DurableStorage, PersistedState } from "../storage/durable-storage.js";
import { planForceNewCluster } from "./force-new-cluster.js";
import type { Transport } from "../transport/transport.js";
import { type NodeLog, silentNodeLog } from "./log.js";
import { type Member, type MemberOf, decodeMemberContext, encodeMemberContext, sameMember } from "./member.js";
import { ReadWaiters } from "./read-waiters.js";
import { decodeEnvelope, encodeEnvelope } from "./snapshot-envelope.js";
import type { StateMachine } from "./state-machine.js";
import type { NodeStatus } from "./status.js";
import { ProposalWaiters, waiter } from "./waiters.js";

/** Leadership as a node sees it, emitted whenever the known leader or this node's role changes. */
export interface LeaderChange {
  readonly leader: NodeId;
  readonly leaderAddress: string | undefined;
  readonly term: number;
  readonly isLeader: boolean;
}

/** What a RaftNode needs once its data dir is open (see {@link openRaftNode} for the data-dir entry point). */
export interface RaftNodeOptions {
  readonly id: NodeId;
  /** This node's Raft address as peers should dial it ("host:port"). */
  readonly address: string;
  /**
   * This node's identity (in Shoal, its node id), recorded with its address where this node writes its own
   * member record (a snapshot it takes, a forced new cluster). Not its Raft id.
   */
  readonly nodeId?: string;
  readonly storage: DurableStorage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine;
  /**
   * Initial voters of a brand-new cluster (every initial member passes the same list), each with its address and
   * identity. Omit to join one.
   */
  readonly bootstrap?: readonly MemberOf[];
  /**
   * When joining an existing cluster: its current members' addresses and identities, so this node can answer
   * the leader before it has learned the membership from the log or a snapshot.
   */
  readonly peers?: readonly MemberOf[];
  /**
   * Quorum-loss recovery: before running, rewrite the stored state so that this member is the only voter (see
   * {@link planForceNewCluster}): committed entries are kept, the uncommitted tail dropped, every other member
   * removed for good, the term raised; the node then elects itself at once. Not with `bootstrap`.
   */
  readonly forceNewCluster?: boolean;
  /** Length of one tick. Default 100 ms: elections after 1-2 s of silence with the default 10 ticks. */
  readonly tickMs?: number;
  /** Applied entries between application snapshots. Default 10,000. */
  readonly snapshotEntries?: number;
  /** Entries kept in the log behind a snapshot so slightly slow followers need no snapshot. Default 5,000. */
  readonly catchUpEntries?: number;
  /** Default deadline of propose, read barriers and membership changes. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Core settings (election and heartbeat ticks, flow control, pre-vote, check-quorum, read mode). */
  readonly raft?: Partial<Omit<RaftConfig, "id" | "storage" | "applied" | "random">>;
  readonly log?: NodeLog;
  /** Called once the node has stopped and closed its storage and transport. */
  readonly onStopped?: () => void;
}

/**
 * The Raft driver the manager uses: it runs a {@link RawNode} over durable storage and a transport, applies
 * committed entries to a {@link StateMachine}, and offers propose-and-await-commit, linearizable read
 * barriers, membership changes, leadership transfer, status, and leadership events.
 *
 * Each Ready is handled in the order the core requires: persisted (one fsync per batch: group commit), then
 * its messages sent, then its entries applied, then advanced. Proposals arriving while a batch is being
 * written join the next batch.
 */
export class RaftNode {
  readonly id: NodeId;
  /** Set by init(), before anything else can use it. */
  private raw!: RawNode;
  private readonly mem: MemoryStorage;
  /** Every member's address and identity, this node's own included (see {@link self}). */
  private readonly members = new Map<NodeId, Member>();
  private readonly proposals = new ProposalWaiters();
  private readonly reads = new ReadWaiters();
  private readonly leaderListeners = new Set<(c: LeaderChange) => void>();
  private readonly catchUp = new Set<() => void>();
  private readonly tickMs: number;
  private readonly snapshotEntries: number;
  private readonly catchUpEntries: number;
  private readonly timeoutMs: number;
  private readonly log: NodeLog;
  private ticker: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  /** The background write of an application snapshot, while one is in flight. */
  private snapshotting: Promise<void> | undefined;
  private scheduled = false;
  private stopped = false;
  private fatal: Error | undefined;
  private applied = 0;
  private snapshotIndex = 0;
  private lastLeaderSeenTick = 0;
  private ticks = 0;
  /** The tick at which each peer's last message arrived. */
  private readonly heardAt = new Map<NodeId, number>();
  private lastSoft: SoftState = { lead: NONE, role: Role.Follower };
  /** After a forced new cluster: campaign once the log is applied up to here (the rewritten membership). */
  private campaignAt: number | undefined;

  private constructor(
    private readonly opts: RaftNodeOptions,
    private readonly storage: DurableStorage,
    private readonly transport: Transport,
    private readonly sm: StateMachine,
  ) {
    this.id = opts.id;
    this.tickMs = opts.tickMs ?? 100;
    this.snapshotEntries = opts.snapshotEntries ?? 10_000;
    this.catchUpEntries = opts.catchUpEntries ?? 5_000;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.log = opts.log ?? silentNodeLog;
    this.mem = new MemoryStorage();
  }

  /** Loads the node's state from storage, starts its transport and clock, and returns it running. */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const node = new RaftNode(opts, opts.storage, opts.transport, opts.stateMachine);
    try {
      await node.init();
    } catch (e) {
      node.stopped = true;
      if (node.ticker) clearInterval(node.ticker);
      await opts.transport.close().catch(() => undefined);
      await opts.storage.close().catch(() => undefined);
      throw e;
    }
    return node;
  }

  private async init(): Promise<void> {
    let persisted = await this.storage.load();
    if (this.opts.forceNewCluster) persisted = await this.forceNewCluster(persisted);
    for (const w of persisted.warnings) this.log("warn", w);
    if (persisted.snapshot) this.mem.applySnapshot(persisted.snapshot);
    this.mem.append(persisted.entries);
    this.mem.setHardState(persisted.hardState);
    const snap = this.mem.snapshot();
    const env = decodeEnvelope(snap.data);
    if (snap.meta.index > 0) this.sm.restore(env.app);
    for (const [id, m] of env.members) this.members.set(id, m);
    this.applied = snap.meta.index;
    this.snapshotIndex = snap.meta.index;
    const raw = new RawNode({
      ...this.opts.raft,
      disableProposalForwarding: true,
      id: this.id,
      storage: this.mem,
      applied: snap.meta.index,
      random: (n) => randomInt(n),
    });
    this.raw = raw;
    const fresh = this.mem.lastIndex() === 0 && persisted.hardState.term === 0;
    if (fresh && this.opts.bootstrap) {
      if (!this.opts.bootstrap.some((p) => p.id === this.id)) {
        throw new RaftConfigError(`raft: bootstrap peers must include this node (${this.id})`);
      }
      raw.bootstrap(this.opts.bootstrap.map((p) => ({ id: p.id, context: encodeMemberContext(p) })));
    }
    this.members.set(this.id, this.self);
    for (const p of this.opts.peers ?? []) {
      if (!this.members.has(p.id)) this.members.set(p.id, { address: p.address, nodeId: p.nodeId });
    }
    for (const [id, m] of this.members) if (id !== this.id) this.transport.addPeer(id, m.address, m.nodeId);
    await this.transport.start({
      onMessage: (m) =>
        this.guard(() => {
          this.heardAt.set(m.from, this.ticks);
          raw.step(m);
        }),
      onUnreachable: (peer) => this.guard(() => raw.reportUnreachable(peer)),
      onSnapshotStatus: (peer, ok) => this.guard(() => raw.reportSnapshot(peer, ok)),
    });
    this.ticker = setInterval(() => this.onTick(), this.tickMs);
    this.schedule();
  }

  /** This node's own member record: its address and identity as configured. */
  private get self(): Member {
    return { address: this.opts.address, nodeId: this.opts.nodeId };
  }

  /** Persists the rewrite of {@link planForceNewCluster} and returns the state as loaded again from storage. */
  private async forceNewCluster(before: PersistedState): Promise<PersistedState> {
    if (this.opts.bootstrap)
      throw new RaftConfigError(
        "raft: forceNewCluster and bootstrap exclude each other: a forced cluster keeps its old state",
      );
    const plan = planForceNewCluster(before, this.id, this.self);
    await this.storage.save(plan.batch, true);
    this.campaignAt = plan.commit;
    this.log("warn", "raft: forced a new cluster with this member as the only voter", {
      keptTo: plan.keptTo,
      droppedUncommitted: plan.dropped,
      removed: plan.removed.join(",") || "none",
      promotedFromLearner: plan.promoted,
      term: plan.term,
    });
    return this.storage.load();
  }

  /** Runs an input into the core, then schedules the Ready loop; a corrupt input is logged, not fatal. */
  private guard(f: () => void): void {
    if (this.stopped) return;
    try {
      f();
    } catch (e) {
      this.log("warn", "raft: dropped an input the core refused", { error: String(e) });
    }
    this.schedule();
  }

  private onTick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.raw.tick();
    if (this.raw.raft.lead !== NONE) this.lastLeaderSeenTick = this.ticks;
    for (const check of this.catchUp) check();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.loop) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.loop || this.stopped) return;
      this.loop = this.runLoop().finally(() => {
        this.loop = undefined;
        if (this.raw.hasReady()) this.schedule();
      });
    });
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopped && this.raw.hasReady()) {
        const rd = this.raw.ready();
        await this.handleReady(rd);
        this.raw.advance(rd);
        this.maybeSnapshot();
        if (this.campaignAt !== undefined && this.applied >= this.campaignAt) {
          this.campaignAt = undefined;
          this.raw.campaign();
        }
      }
    } catch (e) {
      this.failStop(e);
    }
  }

  /** Storage failed (disk full, I/O error): stop taking part rather than risk acting on unpersisted state. */
  private failStop(e: unknown): void {
    if (this.fatal) return;
    this.fatal = e instanceof Error ? e : new Error(String(e));
    this.log("error", "raft: stopping after a storage failure", { error: String(e) });
    this.shutdownWaiters(this.fatal);
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
  }

  private async handleReady(rd: Ready): Promise<void> {
    // A leader replicates while it writes: its messages depend on nothing this write adds (see Ready).
    if (rd.earlyMessages) this.transport.send(rd.messages);
    // A snapshot from the leader replaces ours: let our own snapshot write finish first.
    if (rd.snapshot && this.snapshotting) await this.snapshotting;
    await this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot }, rd.mustSync);
    if (rd.snapshot) this.mem.applySnapshot(rd.snapshot);
    this.mem.append(rd.entries);
    if (rd.hardState) this.mem.setHardState(rd.hardState);
    // Persisted: now the messages that depend on it may go out.
    if (!rd.earlyMessages) this.transport.send(rd.messages);
    if (rd.softState) this.onSoftState(rd.softState);
    if (rd.snapshot) this.installSnapshot(rd.snapshot.data, rd.snapshot.meta.index);
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) this.reads.readState(rs, this.applied);
    this.reads.appliedTo(this.applied);
  }

  private installSnapshot(data: Uint8Array, index: number): void {
    const env = decodeEnvelope(data);
    this.sm.restore(env.app);
    for (const id of this.members.keys()) if (id !== this.id && !env.members.has(id)) this.transport.removePeer(id);
    this.members.clear();
    for (const [id, m] of env.members) {
      this.members.set(id, id === this.id ? this.self : m);
      if (id !== this.id) this.transport.addPeer(id, m.address, m.nodeId);
    }
    if (!this.members.has(this.id)) this.members.set(this.id, this.self);
    this.proposals.skippedTo(index);
    this.applied = index;
    this.snapshotIndex = index;
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    let result: unknown;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.raw.applyConfChange(cc);
      this.applyMembers(cc);
    } else if (e.data.byteLength > 0) {
      result = this.sm.apply(e.data, e.index);
    }
    this.applied = e.index;
    this.proposals.applied(e.index, e.term, result);
  }

  private applyMembers(cc: ConfChange): void {
    if (cc.type === ConfChangeType.RemoveNode) {
      this.members.delete(cc.nodeId);
      if (cc.nodeId !== this.id) this.transport.removePeer(cc.nodeId);
      else this.log("warn", "raft: this node was removed from the cluster");
      return;
    }
    // An address-only context (an earlier version's) reads as a member without identity, which an identity check
    // refuses: clusters mixing versions cannot form.
    const member = decodeMemberContext(cc.context);
    if (!this.raw.raft.membership.has(cc.nodeId)) return;
    if (cc.nodeId === this.id) {
      this.members.set(cc.nodeId, this.self);
      return;
    }
    if (sameMember(this.members.get(cc.nodeId), member)) return;
    this.members.set(cc.nodeId, member);
    this.transport.addPeer(cc.nodeId, member.address, member.nodeId);
  }

  private onSoftState(s: SoftState): void {
    const prev = this.lastSoft;
    this.lastSoft = s;
    if (s.lead !== NONE) this.lastLeaderSeenTick = this.ticks;
    if (prev.lead === s.lead && (prev.role === Role.Leader) === (s.role === Role.Leader)) return;
    const change: LeaderChange = {
      leader: s.lead,
      leaderAddress: s.lead === NONE ? undefined : this.members.get(s.lead)?.address,
      term: this.raw.raft.term,
      isLeader: s.role === Role.Leader,
    };
    this.log("info", "raft: leadership changed", { leader: s.lead, term: change.term, isLeader: change.isLeader });
    // Reads forwarded to a leader that is gone would never be answered: ask the new one.
    if (s.lead !== NONE) for (const ctx of this.reads.unanswered()) this.guard(() => this.raw.readIndex(ctx));
    for (const l of this.leaderListeners) l(change);
  }

  /**
   * Takes an application snapshot every `snapshotEntries` applied entries. The state machine is captured here,
   * synchronously, at the applied index; the file is written in the background while the node keeps
   * replicating (a large snapshot's write and fsync would otherwise stall every commit behind it). The
   * in-memory log is compacted only once the file is durable.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.applied - this.snapshotIndex < this.snapshotEntries) return;
    const data = encodeEnvelope({ members: this.members, app: this.sm.snapshot() });
    const snap = this.mem.createSnapshot(this.applied, this.raw.raft.membership.toConfState(), data);
    this.snapshotting = this.storage
      .saveSnapshot(snap)
      .then(() => {
        this.snapshotIndex = Math.max(this.snapshotIndex, snap.meta.index);
        const compactTo = Math.min(snap.meta.index - this.catchUpEntries, this.mem.lastIndex());
        if (compactTo > this.mem.firstIndex()) this.mem.compact(compactTo);
        this.log("info", "raft: snapshot taken", { index: snap.meta.index, bytes: data.byteLength });
      })
      .catch((e: unknown) => this.failStop(e))
      .finally(() => {
        this.snapshotting = undefined;
      });
  }

  // ---- the API ----

  private checkRunning(): void {
    if (this.fatal)
      throw new StoppedError(`raft: node stopped after a storage failure: ${this.fatal.message}`, {
        cause: this.fatal,
      });
    if (this.stopped) throw new StoppedError("raft: node is stopped");
  }

  /** How long without news before a peer counts as unreachable, or the cluster as without quorum. */
  private get silenceTicks(): number {
    return 3 * this.raw.raft.config.electionTick;
  }

  private leaderlessTooLong(): boolean {
    return this.raw.raft.lead === NONE && this.ticks - this.lastLeaderSeenTick > this.silenceTicks;
  }

  /** The error to give a caller when this node cannot lead the request. */
  private notLeader(): Error {
    const lead = this.raw.raft.lead;
    if (lead !== NONE && lead !== this.id) return new NotLeaderError(lead, this.members.get(lead)?.address);
    if (this.leaderlessTooLong()) {
      const secs = ((this.ticks - this.lastLeaderSeenTick) * this.tickMs) / 1000;
      return new NoQuorumError(
        `raft: no leader for ${secs.toFixed(1)} s: a majority of the ${this.raw.raft.membership.voters.size} voters is unreachable`,
      );
    }
    return new NotLeaderError(NONE);
  }

  /**
   * Proposes a command and resolves with the state machine's result once it is committed and applied here.
   * Throws NotLeaderError (with the leader's id and address) on a follower. A TimeoutError or StoppedError
   * leaves the outcome unknown; a ProposalLostError means it was certainly not applied.
   */
  async propose<R = unknown>(data: Uint8Array, timeoutMs = this.timeoutMs): Promise<R> {
    this.checkRunning();
    if (this.raw.raft.role !== Role.Leader) throw this.notLeader();
    return (await this.track(() => this.raw.propose(data), timeoutMs, "proposal")) as R;
  }

  private track(propose: () => void, timeoutMs: number, what: string): Promise<unknown> {
    propose();
    const r = this.raw.raft;
    const index = r.log.lastIndex();
    const w = waiter<unknown>(timeoutMs, `${what} at index ${index}`, () => this.proposals.delete(index));
    this.proposals.add(index, r.term, w);
    this.schedule();
    return w.promise;
  }

  /**
   * A linearizable read barrier: resolves with an index once this node has applied everything committed
   * before the call, so reading local state afterwards is linearizable. Works on followers too (the leader
   * confirms its leadership with a quorum: ReadIndex).
   */
  async readBarrier(timeoutMs = this.timeoutMs): Promise<number> {
    this.checkRunning();
    // One deadline for the whole barrier: waiting for a leader uses part of it.
    const deadline = performance.now() + timeoutMs;
    if (this.raw.raft.lead === NONE) await this.waitForLeader(timeoutMs);
    const { ctx, promise } = this.reads.add(this.id, Math.max(1, deadline - performance.now()));
    try {
      this.raw.readIndex(ctx);
    } catch (e) {
      this.reads.cancel(ctx);
      throw e instanceof NotLeaderError ? this.notLeader() : e;
    }
    this.schedule();
    return promise;
  }

  /**
   * Adds a member at an address (a string), or with its address and identity. As a voter (the default) it first
   * joins as a learner, is promoted once it has caught up, and only then counts toward quorum, so adding a slow
   * node never stalls the cluster. Both changes record the member as given.
   */
  async addMember(
    id: NodeId,
    member: string | Member,
    opts: { voter?: boolean; timeoutMs?: number } = {},
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs * 6;
    const context = encodeMemberContext(typeof member === "string" ? { address: member } : member);
    const m = this.raw.raft.membership;
    if (!m.learners.has(id)) await this.proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: id, context });
    if (opts.voter === false) return;
    await this.waitCaughtUp(id, timeoutMs);
    await this.proposeConfChange({ type: ConfChangeType.AddVoter, nodeId: id, context });
  }

  /** Removes a member for good; its id can never be used again. */
  async removeMember(id: NodeId): Promise<void> {
    await this.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: id, context: new Uint8Array(0) });
  }

  /** Proposes one membership change and resolves once it is applied here. */
  async proposeConfChange(cc: ConfChange, timeoutMs = this.timeoutMs): Promise<void> {
    this.checkRunning();
    if (this.raw.raft.role !== Role.Leader) throw this.notLeader();
    await this.track(() => this.raw.proposeConfChange(cc), timeoutMs, "membership change");
  }

  private waitCaughtUp(id: NodeId, timeoutMs: number): Promise<void> {
    const w = waiter<void>(timeoutMs, `catch-up of learner ${id}`, () => this.catchUp.delete(check));
    const lag = this.raw.raft.config.promotionLag;
    // Caught up means: holds everything committed when we started waiting, and is close to the log's end.
    const target = this.raw.raft.log.committed;
    const check = (): void => {
      const r = this.raw.raft;
      if (r.role !== Role.Leader) {
        this.catchUp.delete(check);
        w.reject(this.notLeader());
        return;
      }
      const pr = r.prs.get(id);
      if (!pr) {
        this.catchUp.delete(check);
        w.reject(new ConfChangeError(`raft: node ${id} is no longer a member`));
        return;
      }
      if (pr.match >= target && r.log.lastIndex() - pr.match <= lag) {
        this.catchUp.delete(check);
        w.resolve();
      }
    };
    this.catchUp.add(check);
    check();
    return w.promise;
  }

  /** Hands leadership to `to` (which should be up to date) and resolves once it leads. */
  async transferLeadership(to: NodeId, timeoutMs = this.tickMs * this.raw.raft.config.electionTick * 3): Promise<void> {
    this.checkRunning();
    if (this.raw.raft.role !== Role.Leader) throw this.notLeader();
    if (!this.raw.raft.membership.voters.has(to))
      throw new ConfChangeError(`raft: node ${to} is not a voter; only voters can lead`);
    if (to === this.id) return;
    const w = waiter<void>(timeoutMs, `leadership transfer to ${to}`, () => off());
    const off = this.onLeaderChange((c) => {
      if (c.leader === to) {
        off();
        w.resolve();
      }
    });
    this.raw.transferLeader(to);
    this.schedule();
    return w.promise;
  }

  /**
   * Resolves once some leader is known (this node or another). Fails with NoQuorumError or NotLeaderError
   * when none appears within `timeoutMs`.
   */
  async waitForLeader(timeoutMs = this.timeoutMs): Promise<NodeId> {
    this.checkRunning();
    if (this.raw.raft.lead !== NONE) return this.raw.raft.lead;
    let off = (): void => {};
    const w = waiter<NodeId>(timeoutMs, "waiting for a leader", () => off());
    off = this.onLeaderChange((c) => {
      if (c.leader === NONE) return;
      off();
      w.resolve(c.leader);
    });
    try {
      return await w.promise;
    } catch (e) {
      if (e instanceof TimeoutError) throw this.notLeader();
      throw e;
    }
  }

  /** Starts an election now (operator action, or tests). */
  campaign(): void {
    this.guard(() => this.raw.campaign());
  }

  /** Subscribes to leadership changes; returns the unsubscribe function. */
  onLeaderChange(listener: (c: LeaderChange) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /** Whether this node currently leads. */
  isLeader(): boolean {
    return this.raw.raft.role === Role.Leader;
  }

  /** The known leader's id (0 if none) and address. */
  leader(): { id: NodeId; address: string | undefined } {
    const lead = this.raw.raft.lead;
    return { id: lead, address: lead === NONE ? undefined : this.members.get(lead)?.address };
  }

  status(): NodeStatus {
    const s = this.raw.status();
    return {
      ...s,
      applied: this.applied,
      snapshotIndex: this.snapshotIndex,
      members: new Map(this.members),
      stopped: this.stopped,
      fatal: this.fatal?.message,
      reachable: new Set([
        this.id,
        ...[...this.heardAt]
          .filter(([id, at]) => this.members.has(id) && this.ticks - at <= this.silenceTicks)
          .map(([id]) => id),
      ]),
      noQuorum: this.leaderlessTooLong(),
    };
  }

  private shutdownWaiters(e: Error): void {
    this.proposals.rejectAll(e);
    this.reads.rejectAll(e);
    for (const check of this.catchUp) check();
    this.catchUp.clear();
  }

  /** Stops the node: pending requests fail with StoppedError, the transport and storage are closed. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.ticker) clearInterval(this.ticker);
      this.shutdownWaiters(new StoppedError("raft: node stopped; the outcome of pending requests is unknown"));
    }
    await this.loop?.catch(() => undefined);
    await this.snapshotting;
    await this.transport.close();
    await this.storage.close();
    this.opts.onStopped?.();
  }
}
