import { decodeConfChange } from "../../codec/codec.js";
import { RawNode } from "../../core/raw-node.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type Ready,
  EntryType,
} from "../../core/types.js";
import { NotLeaderError, ProposalDroppedError } from "../../errors.js";
import { KvStore, decodeCommand, encodeCommand } from "./kv-store.js";
import type { Rng } from "../rng.js";
import type { ClientReply, ClientRequest, DeliveryReport, SimEvent } from "./sim-events.js";
import { SimDisk } from "./sim-disk.js";
import { InvariantViolation } from "./sim-failure.js";
import type { SimParams } from "./sim-options.js";

/** What a node needs from the rest of the simulation. */
export interface NodeEnv {
  readonly params: SimParams;
  now(): number;
  schedule(delay: number, event: SimEvent): void;
  /** Hands a message to the network. */
  send(m: Message, fromInc: number): void;
  /** An entry is about to be applied (state-machine safety). */
  onApply(node: SimNode, e: Entry): void;
  /** A conf change was applied. */
  onConfChange(node: SimNode, cc: ConfChange): void;
  /** The node made, or installed, a snapshot of its state machine at `index`. */
  onSnapshot(node: SimNode, index: number, data: Uint8Array): void;
  /** The node's disk changed. */
  onDurable(node: SimNode): void;
  /** Counts something that happened, for coverage figures. */
  count(what: string): void;
}

type Respond = (reply: ClientReply) => void;

interface PendingRead {
  readonly key: string;
  index: number | null;
  readonly respond: Respond;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * One simulated server: a disk, a Raft core and the KV state machine, driven like a real driver. A Ready is
 * handled in two events: `pump` takes it and starts the disk write; `completeWrite` (after the disk latency)
 * makes it durable, and only then sends its messages, applies committed entries and calls `advance`. Other
 * events (messages, ticks, proposals) may reach the core while the write is in flight.
 */
export class SimNode {
  raw: RawNode | null = null;
  /** Incarnation: increases on every start, so events meant for an earlier life are ignored. */
  inc = 0;
  /** Shut down for good (it was removed from the cluster). */
  retired = false;
  readonly disk = new SimDisk();
  readonly kv = new KvStore();
  appliedIndex = 0;
  appliedConf: ConfState = { voters: [], learners: [], removed: [] };
  /** The disk is slow (a fault) until this virtual time. */
  slowDiskUntil = 0;
  private inflight: Ready | null = null;
  private sentEarly = false;
  private readonly waiters = new Map<string, Respond>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly tickMs: number;

  constructor(
    readonly id: NodeId,
    private readonly env: NodeEnv,
    private readonly rng: Rng,
  ) {
    this.tickMs = env.params.tickMs * rng.between(0.9, 1.1);
  }

  get alive(): boolean {
    return this.raw !== null;
  }

  get writing(): boolean {
    return this.inflight !== null;
  }

  /** Starts a core over the disk (first start, or restart after a crash) and restores the state machine. */
  start(): void {
    const p = this.env.params;
    this.disk.recover(this.inc > 0 && p.mutation === "forget-vote");
    const snap = this.disk.storage.snapshot();
    this.kv.restore(snap.data);
    this.appliedIndex = snap.meta.index;
    this.appliedConf = snap.meta.conf;
    this.inc++;
    this.raw = new RawNode({
      id: this.id,
      storage: this.disk.storage,
      random: this.rng.asIntSource(),
      ...p.core,
      applied: snap.meta.index,
    });
    this.scheduleTick(this.rng.between(0, this.tickMs));
  }

  /**
   * Stops the node. A write in flight keeps a random prefix of its records (none under the mutation). Some
   * crashes are power losses, which also lose what was written without a sync (and so the write after it).
   */
  crash(): string {
    let what = "no write in flight";
    const rd = this.inflight;
    const powerLoss = this.disk.dirty && this.rng.chance(0.3);
    if (powerLoss) {
      this.disk.loseUnsynced();
      this.env.count("crash-power-loss");
    }
    if (rd) {
      const total = SimDisk.records(rd);
      const keep = this.env.params.mutation === "send-before-persist" || powerLoss ? 0 : this.rng.intIn(0, total);
      this.disk.write(rd, keep);
      what = `in-flight write kept ${keep}/${total} records`;
      this.env.count(keep === total ? "crash-write-kept" : keep === 0 ? "crash-write-lost" : "crash-write-torn");
    }
    this.raw = null;
    this.inflight = null;
    this.waiters.clear();
    this.reads.clear();
    this.env.onDurable(this);
    return powerLoss ? `power loss (unsynced commit lost), ${what}` : what;
  }

  private scheduleTick(delay: number): void {
    this.env.schedule(delay, { kind: "tick", node: this.id, inc: this.inc });
  }

  tick(): void {
    this.core().tick();
    this.scheduleTick(this.tickMs);
  }

  step(m: Message): void {
    this.core().step(m);
  }

  report(peer: NodeId, what: DeliveryReport): void {
    if (what === "unreachable") this.core().reportUnreachable(peer);
    else this.core().reportSnapshot(peer, what === "snap-ok");
  }

  private core(): RawNode {
    if (!this.raw) throw new Error(`sim: node ${this.id} is down`);
    return this.raw;
  }

  /** Takes the next Ready, if any and none is in flight, and starts writing it. */
  pump(): void {
    const raw = this.raw;
    if (!raw || this.inflight || !raw.hasReady()) return;
    const rd = raw.ready();
    this.inflight = rd;
    // A leader's messages may go out while its write is in flight (see Ready.earlyMessages).
    const early = rd.earlyMessages || this.env.params.mutation === "send-before-persist";
    if (early) for (const m of rd.messages) this.env.send(m, this.inc);
    this.sentEarly = early;
    const [lo, hi] = this.env.params.diskLatency;
    let delay = rd.mustSync ? this.rng.between(lo, hi) : this.rng.between(0, lo);
    if (this.env.now() < this.slowDiskUntil) delay *= 10;
    this.env.schedule(delay, { kind: "write-done", node: this.id, inc: this.inc });
  }

  /** The write finished: the Ready is durable; send, apply, advance. */
  completeWrite(): void {
    const raw = this.core();
    const rd = this.inflight;
    if (!rd) throw new Error(`sim: node ${this.id} has no write in flight`);
    this.inflight = null;
    this.disk.complete(rd);
    this.env.onDurable(this);
    if (!this.sentEarly) for (const m of rd.messages) this.env.send(m, this.inc);
    if (rd.snapshot) {
      const { meta, data } = rd.snapshot;
      this.kv.restore(data);
      this.appliedIndex = meta.index;
      this.appliedConf = meta.conf;
      this.env.onSnapshot(this, meta.index, data);
      this.env.count("snapshot-installed");
    }
    for (const e of rd.committedEntries) this.apply(raw, e);
    for (const rs of rd.readStates) {
      const p = this.reads.get(dec.decode(rs.context));
      if (p && p.index === null) p.index = rs.index;
    }
    raw.advance(rd);
    this.maybeSnapshot();
    this.answerReads();
  }

  private apply(raw: RawNode, e: Entry): void {
    if (e.index !== this.appliedIndex + 1) {
      throw new InvariantViolation("apply-order", `node ${this.id} applies ${e.index} after ${this.appliedIndex}`);
    }
    this.env.onApply(this, e);
    this.appliedIndex = e.index;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.appliedConf = raw.applyConfChange(cc);
      this.env.onConfChange(this, cc);
    } else if (e.data.length > 0) {
      const cmd = decodeCommand(e.data);
      const output = this.kv.apply(cmd);
      const key = `${cmd.client}:${cmd.req}`;
      const w = this.waiters.get(key);
      if (output && w) {
        this.waiters.delete(key);
        w({ kind: "ok", output });
      }
    }
  }

  /** Every `snapshotEvery` applied entries: snapshot the state machine and compact the log below it. */
  private maybeSnapshot(): void {
    const p = this.env.params;
    const storage = this.disk.storage;
    if (this.appliedIndex - storage.snapshot().meta.index < p.snapshotEvery) return;
    const data = this.kv.snapshot();
    storage.createSnapshot(this.appliedIndex, this.appliedConf, data);
    storage.compact(this.appliedIndex - p.snapshotKeep);
    this.env.onSnapshot(this, this.appliedIndex, data);
    this.env.onDurable(this);
    this.env.count("snapshot-taken");
  }

  private answerReads(): void {
    for (const [ctx, p] of this.reads) {
      if (p.index === null || p.index > this.appliedIndex) continue;
      this.reads.delete(ctx);
      p.respond({ kind: "ok", output: { value: this.kv.get(p.key) } });
    }
  }

  /** Serves one client request; `respond` is called now, later, or never (the client then times out). */
  serve(req: ClientRequest, respond: Respond): void {
    const raw = this.core();
    // Most of the time a follower redirects; otherwise it forwards (proposals and ReadIndex go to the leader).
    if (raw.raft.lead !== this.id && this.rng.chance(0.7)) {
      respond({ kind: "not-leader", hint: raw.raft.lead });
      return;
    }
    try {
      const { input } = req;
      if (input.op === "get") {
        const ctx = `read:${req.client}:${req.req}:${req.attempt}`;
        raw.readIndex(enc.encode(ctx));
        this.reads.set(ctx, { key: input.key, index: null, respond });
      } else {
        raw.propose(encodeCommand({ client: req.client, req: req.req, input }));
        this.waiters.set(`${req.client}:${req.req}`, respond);
      }
    } catch (e) {
      if (e instanceof NotLeaderError) respond({ kind: "not-leader", hint: e.leaderHint });
      else if (e instanceof ProposalDroppedError) respond({ kind: "retry", why: e.code });
      else throw e;
    }
  }
}
