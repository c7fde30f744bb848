import { type Message, type NodeId, MessageType } from "../../core/types.js";
import type { Rng } from "../rng.js";
import type { SimEvent } from "./sim-events.js";
import type { SimParams } from "./sim-options.js";

/** What the network needs from the simulation. */
export interface NetworkEnv {
  schedule(delay: number, event: SimEvent): void;
  /** Every message handed to the network, before any fault (for the vote-once check). */
  onSend(m: Message): void;
}

/**
 * A lossy network: each message is dropped, delivered after a random latency (so messages reorder), or
 * delivered twice. Partitions are sets of DIRECTED cuts (`a>b` blocks a's messages to b), checked at delivery,
 * so one-way partitions are as easy as symmetric ones. The sender's transport reports a failed snapshot send and
 * some of the other losses (reportUnreachable); a delivered snapshot is reported as sent.
 */
export class SimNetwork {
  dropRate: number;
  dupRate: number;
  stragglerRate: number;
  private readonly blockedPairs = new Map<string, number>();
  private readonly cuts = new Map<number, string[]>();
  private nextCut = 1;

  constructor(
    private readonly params: SimParams,
    private readonly rng: Rng,
    private readonly env: NetworkEnv,
  ) {
    this.dropRate = params.dropRate;
    this.dupRate = params.dupRate;
    this.stragglerRate = params.stragglerRate;
  }

  private latency(): number {
    const [lo, hi] = this.params.latency;
    if (this.rng.chance(this.stragglerRate)) return this.rng.between(20, 300);
    return this.rng.between(lo, hi);
  }

  /** Sends `m` from incarnation `inc` of its sender. */
  send(m: Message, inc: number): void {
    this.env.onSend(m);
    if (this.rng.chance(this.dropRate)) {
      this.lost(m, inc);
      return;
    }
    this.env.schedule(this.latency(), { kind: "deliver", msg: m, inc });
    if (this.rng.chance(this.dupRate)) this.env.schedule(this.latency() * 2, { kind: "deliver", msg: m, inc });
  }

  /** Whether messages from `from` to `to` are cut right now. */
  blocked(from: NodeId, to: NodeId): boolean {
    return this.blockedPairs.has(`${from}>${to}`);
  }

  /** The message did not arrive: tell the sender's transport, as a real one would (sometimes). */
  lost(m: Message, inc: number): void {
    if (m.type === MessageType.Snap) this.report(m, inc, "snap-fail");
    else if (this.rng.chance(this.params.reportRate)) this.report(m, inc, "unreachable");
  }

  /** The message arrived. */
  delivered(m: Message, inc: number): void {
    if (m.type === MessageType.Snap) this.report(m, inc, "snap-ok");
  }

  private report(m: Message, inc: number, what: "unreachable" | "snap-ok" | "snap-fail"): void {
    this.env.schedule(this.latency(), { kind: "report", node: m.from, inc, peer: m.to, what });
  }

  /** Cuts the given directed links; returns the cut's id for {@link heal}. */
  cut(links: readonly (readonly [NodeId, NodeId])[]): number {
    const id = this.nextCut++;
    const keys = links.map(([a, b]) => `${a}>${b}`);
    for (const k of keys) this.blockedPairs.set(k, (this.blockedPairs.get(k) ?? 0) + 1);
    this.cuts.set(id, keys);
    return id;
  }

  /** Restores the links of cut `id` (no-op if already healed). */
  heal(id: number): void {
    const keys = this.cuts.get(id);
    if (!keys) return;
    this.cuts.delete(id);
    for (const k of keys) {
      const n = (this.blockedPairs.get(k) ?? 1) - 1;
      if (n <= 0) this.blockedPairs.delete(k);
      else this.blockedPairs.set(k, n);
    }
  }

  /** Heals every cut and stops losing or duplicating messages (the end of a run). */
  healAll(): void {
    for (const id of [...this.cuts.keys()]) this.heal(id);
    this.dropRate = 0;
    this.dupRate = 0;
    this.stragglerRate = 0;
  }

  /** The number of active cuts. */
  get activeCuts(): number {
    return this.cuts.size;
  }
}
