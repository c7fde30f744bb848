import { decodeConfChange, encodeConfChange } from "../../codec/codec.js";
import type { RaftConfigInput } from "../../core/config.js";
import { MemoryStorage } from "../../core/log-storage.js";
import { RawNode } from "../../core/raw-node.js";
import {
  type ConfState,
  type Message,
  type NodeId,
  type Snapshot,
  ConfChangeType,
  EMPTY_CONF_STATE,
  EntryType,
  NONE,
  Role,
} from "../../core/types.js";
import { seededRandom } from "../mem-cluster.js";
import { describeConf, describeConfChange, describeReady } from "./format.js";

/** The settings an interaction node passes to its core; id, storage, random and applied are the node's own. */
export type NodeConfig = Omit<RaftConfigInput, "id" | "storage" | "random" | "applied">;

/** What one `process-ready` did: the lines describing it and the messages to put on the wire. */
export interface ReadyResult {
  readonly lines: string[];
  readonly messages: readonly Message[];
}

/**
 * One node of the interaction environment: a core, its stable storage and a toy state machine (the list of
 * applied values). The storage survives {@link crash}; {@link restart} builds a new core over it, as a process
 * restarting from its data dir would.
 */
export class InteractionNode {
  readonly storage = new MemoryStorage();
  private raw: RawNode | null;
  private readonly prng: (n: number) => number;
  /** The last value the core drew: its randomized election timeout is electionTick plus this. */
  private lastRandom = 0;
  /** Applied application values with the index of their entry. */
  private values: { index: number; value: string }[] = [];
  /** Membership after each applied conf change, oldest first (for snapshots at an arbitrary index). */
  private confs: { index: number; conf: ConfState }[] = [];

  constructor(
    readonly id: NodeId,
    private readonly cfg: NodeConfig,
    seed: number,
  ) {
    this.prng = seededRandom(seed);
    this.raw = this.makeCore(0);
  }

  private makeCore(applied: number): RawNode {
    const random = (n: number): number => (this.lastRandom = this.prng(n));
    return new RawNode({ ...this.cfg, id: this.id, storage: this.storage, random, applied });
  }

  /** Whether the node is running (not crashed). */
  get up(): boolean {
    return this.raw !== null;
  }

  /** The running core; throws if the node is down. */
  get core(): RawNode {
    if (!this.raw) throw new Error(`node ${this.id} is down: restart it first`);
    return this.raw;
  }

  /** The number of ticks after which the node's timer fires: an election, or a leader's check-quorum round. */
  ticksToTimeout(): number {
    const r = this.core.raft;
    const timeout = r.role === Role.Leader ? r.config.electionTick : r.config.electionTick + this.lastRandom;
    return Math.max(1, timeout - r.electionElapsed);
  }

  /**
   * Makes the node an initial member of a new cluster. Voters only: the core's `bootstrap`. With learners, the
   * same membership entries (voters, then learners) are written to storage as a committed log, the state a node
   * restarting after bootstrap would find. The resulting Ready is processed silently.
   */
  bootstrap(voters: readonly NodeId[], learners: readonly NodeId[]): void {
    if (learners.length === 0) {
      this.core.bootstrap(voters.map((id) => ({ id, context: new Uint8Array(0) })));
    } else {
      const changes = [
        ...[...voters].sort((a, b) => a - b).map((nodeId) => ({ type: ConfChangeType.AddVoter, nodeId })),
        ...[...learners].sort((a, b) => a - b).map((nodeId) => ({ type: ConfChangeType.AddLearner, nodeId })),
      ];
      const entries = changes.map((cc, i) => ({
        term: 1,
        index: i + 1,
        type: EntryType.ConfChange,
        data: encodeConfChange({ ...cc, context: new Uint8Array(0) }),
      }));
      this.storage.append(entries);
      this.storage.setHardState({ term: 1, vote: NONE, commit: entries.length });
      this.raw = this.makeCore(0);
    }
    if (this.core.hasReady()) this.processReady();
  }

  /** Persists, applies (conf changes included) and acknowledges the next Ready. */
  processReady(): ReadyResult {
    const core = this.core;
    const rd = core.ready();
    const lines = describeReady(rd, this.id);
    if (rd.snapshot) {
      this.storage.applySnapshot(rd.snapshot);
      this.restoreFrom(rd.snapshot);
    }
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.data);
        const conf = core.applyConfChange(cc);
        this.confs.push({ index: e.index, conf });
        lines.push(`INFO ${this.id} applied ${describeConfChange(cc)}: ${describeConf(conf)}`);
      } else if (e.data.length > 0) {
        this.values.push({ index: e.index, value: new TextDecoder().decode(e.data) });
      }
    }
    core.advance(rd);
    return { lines, messages: rd.messages };
  }

  /** Loses everything not yet handed out in a Ready (the core's memory); stable storage is kept. */
  crash(): void {
    if (!this.raw) throw new Error(`node ${this.id} is already down`);
    this.raw = null;
  }

  /** Starts a new core over the stable storage; the state machine restarts from the stored snapshot. */
  restart(): void {
    if (this.raw) throw new Error(`node ${this.id} is running: crash it first`);
    const snap = this.storage.snapshot();
    this.restoreFrom(snap);
    this.raw = this.makeCore(snap.meta.index);
  }

  /** Takes an application snapshot at `index` (which must be applied) and discards the log up to it. */
  compact(index: number): Snapshot {
    const applied = this.core.status().applied;
    if (index > applied) throw new Error(`cannot compact node ${this.id} to ${index}: only ${applied} is applied`);
    const data = new TextEncoder().encode(JSON.stringify(this.valuesAt(index)));
    const snap = this.storage.createSnapshot(index, this.confAt(index), data);
    this.storage.compact(index);
    return snap;
  }

  /** The application values applied up to `index` (the whole state machine when omitted). */
  valuesAt(index = Number.MAX_SAFE_INTEGER): string[] {
    return this.values.filter((v) => v.index <= index).map((v) => v.value);
  }

  private confAt(index: number): ConfState {
    let conf = EMPTY_CONF_STATE;
    for (const c of this.confs) if (c.index <= index) conf = c.conf;
    return conf;
  }

  private restoreFrom(snap: Snapshot): void {
    const { index } = snap.meta;
    const restored = snap.data.length > 0 ? (JSON.parse(new TextDecoder().decode(snap.data)) as string[]) : [];
    this.values = restored.map((value) => ({ index, value }));
    this.confs = [{ index, conf: snap.meta.conf }];
  }
}
