import { decodeConfChange } from "../codec/codec.js";
import { mulberry32 } from "./rng.js";
import type { RaftConfigInput } from "../core/config.js";
import { MemoryStorage } from "../core/log-storage.js";
import { RawNode } from "../core/raw-node.js";
import { type Entry, type Message, type NodeId, type ReadState, type Ready, EntryType, Role } from "../core/types.js";

/** A seeded PRNG (mulberry32) returning integers in [0, n): the `random` of a test core. */
export function seededRandom(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n: number) => Math.floor(next() * n);
}

/**
 * One core with an in-memory stable log and a record of what it applied: the smallest faithful driver.
 * `handleReady` persists, applies (conf changes included) and advances, returning the messages to send.
 */
export class MemNode {
  readonly storage = new MemoryStorage();
  node: RawNode;
  applied: Entry[] = [];
  readStates: ReadState[] = [];

  constructor(
    readonly id: NodeId,
    private readonly cfg: Partial<RaftConfigInput> & { random: (n: number) => number },
  ) {
    this.node = new RawNode({ ...cfg, id, storage: this.storage });
  }

  /** Restarts the core over the same stable storage (a crash that lost nothing synced). */
  restart(): void {
    this.node = new RawNode({
      ...this.cfg,
      id: this.id,
      storage: this.storage,
      applied: this.storage.snapshot().meta.index,
    });
    this.applied = this.applied.filter((e) => e.index <= this.storage.snapshot().meta.index);
  }

  handleReady(): Message[] {
    if (!this.node.hasReady()) return [];
    return this.handleReadyFrom(this.node.ready());
  }

  /** Persists, applies and advances a Ready the caller already took; returns its messages. */
  handleReadyFrom(rd: Ready): Message[] {
    if (rd.snapshot) {
      this.storage.applySnapshot(rd.snapshot);
      this.applied = this.applied.filter((e) => e.index <= rd.snapshot!.meta.index);
    }
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) this.node.applyConfChange(decodeConfChange(e.data));
      this.applied.push(e);
    }
    this.readStates.push(...rd.readStates);
    this.node.advance(rd);
    return [...rd.messages];
  }
}

/** A set of MemNodes with a perfect, synchronous network (for unit tests of the core). */
export class MemCluster {
  readonly nodes = new Map<NodeId, MemNode>();
  /** Messages dropped by `drop(from, to)` rules. */
  private readonly cut = new Set<string>();

  constructor(ids: readonly NodeId[], cfg: Partial<RaftConfigInput> & { random: (n: number) => number }) {
    for (const id of ids) {
      const n = new MemNode(id, cfg);
      n.node.bootstrap(ids.map((p) => ({ id: p, context: new Uint8Array(0) })));
      this.nodes.set(id, n);
    }
  }

  get(id: NodeId): MemNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}-${other}`);
      this.cut.add(`${other}-${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Processes Ready batches and delivers messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const n of this.nodes.values()) {
        for (const m of n.handleReady()) {
          moved = true;
          if (this.cut.has(`${m.from}-${m.to}`)) continue;
          this.nodes.get(m.to)?.node.step(m);
        }
      }
      if (!moved) return;
    }
    throw new Error("cluster did not stabilize");
  }

  leader(): MemNode | undefined {
    return [...this.nodes.values()].find((n) => n.node.raft.role === Role.Leader);
  }
}
