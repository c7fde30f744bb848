import { type ConfChange, type NodeId, ConfChangeType } from "../../core/types.js";
import { ConfChangeError, NotLeaderError, ProposalDroppedError } from "../../errors.js";
import type { Rng } from "../rng.js";
import type { SimCluster } from "./sim-cluster.js";
import type { SimEvent } from "./sim-events.js";
import type { SimNetwork } from "./sim-network.js";
import type { SimParams } from "./sim-options.js";

/** What the fault plan acts on. */
export interface FaultEnv {
  readonly params: SimParams;
  readonly cluster: SimCluster;
  readonly network: SimNetwork;
  now(): number;
  schedule(delay: number, event: SimEvent): void;
  /** Adds a line to the trace of the current event. */
  note(text: string): void;
  count(what: string): void;
}

type FaultKind = "crash" | "partition" | "transfer" | "add-learner" | "promote" | "remove" | "slow-disk" | "campaign";

const WEIGHTS: readonly [FaultKind, number][] = [
  ["crash", 4],
  ["partition", 3],
  ["transfer", 1],
  ["add-learner", 1],
  ["promote", 1],
  ["remove", 1],
  ["slow-disk", 1],
  ["campaign", 1],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);
const MAX_MEMBERS = 7;

/**
 * Random faults at random times while the run is active: crashes (restarted later), symmetric and one-way
 * partitions (healed later), slow disks, leadership transfers, forced campaigns, and membership changes (a
 * learner with a new id, its promotion once caught up, removals; a removed node is shut down for good).
 */
export class FaultPlan {
  private readonly retiring = new Set<NodeId>();

  constructor(
    private readonly env: FaultEnv,
    private readonly rng: Rng,
  ) {}

  /** Schedules the next fault, if it falls before the end of the active phase. */
  scheduleNext(): void {
    const delay = this.rng.exp(this.env.params.faultGapMs);
    if (this.env.now() + delay < this.env.params.activeMs) this.env.schedule(delay, { kind: "fault" });
  }

  /** Runs one random fault. */
  fire(): void {
    let x = this.rng.next() * TOTAL_WEIGHT;
    let kind: FaultKind = "crash";
    for (const [k, w] of WEIGHTS) {
      if (x < w) {
        kind = k;
        break;
      }
      x -= w;
    }
    this.env.count(`fault-${kind}`);
    this.run(kind);
    this.scheduleNext();
  }

  private run(kind: FaultKind): void {
    const { cluster } = this.env;
    const live = cluster.live().filter((n) => !this.retiring.has(n.id));
    const leader = cluster.leader();
    switch (kind) {
      case "crash": {
        // Mostly keep a majority up, so that clients make progress; sometimes take the majority down too.
        const all = [...cluster.nodes.values()].filter((n) => !n.retired);
        const down = all.length - live.length;
        const maxDown = Math.max(1, Math.floor((all.length - 1) / 2)) + (this.rng.chance(0.1) ? 1 : 0);
        if (down >= maxDown || live.length === 0) return;
        // Crashes aim at the interesting moments: a write in flight, or the leader.
        const writing = live.filter((n) => n.writing);
        const x = this.rng.next();
        const n =
          x < 0.4 && writing.length > 0 ? this.rng.pick(writing) : x < 0.6 && leader ? leader : this.rng.pick(live);
        this.env.note(`crash node ${n.id}: ${n.crash()}`);
        const bounce = this.rng.chance(0.3);
        this.env.schedule(bounce ? this.rng.between(0.5, 20) : this.rng.between(20, 300), {
          kind: "restart",
          node: n.id,
        });
        return;
      }
      case "partition":
        this.partition();
        return;
      case "slow-disk": {
        if (live.length === 0) return;
        const n = this.rng.pick(live);
        n.slowDiskUntil = this.env.now() + this.rng.between(50, 300);
        this.env.note(`slow disk on node ${n.id} until ${n.slowDiskUntil.toFixed(1)}`);
        return;
      }
      case "campaign": {
        // One node, or two at once (competing candidates split the vote).
        for (const c of this.rng.shuffle(live).slice(0, this.rng.intIn(1, 2))) {
          c.raw?.campaign();
          this.env.note(`node ${c.id} campaigns`);
        }
        return;
      }
      default:
        break;
    }
    if (!leader?.raw) return;
    const m = leader.raw.raft.membership;
    const voters = [...m.voters];
    const learners = [...m.learners];
    switch (kind) {
      case "transfer": {
        // Mostly a voter; sometimes a learner or an id that is not a member, which the leader must refuse.
        const x = this.rng.next();
        let to = this.rng.pick(voters);
        if (x >= 0.9) to = cluster.reserveId();
        else if (x >= 0.8 && learners.length > 0) to = this.rng.pick(learners);
        leader.raw.transferLeader(to);
        this.env.note(`leader ${leader.id} transfers to ${to}`);
        return;
      }
      case "add-learner": {
        if (voters.length + learners.length >= MAX_MEMBERS) return;
        const id = cluster.reserveId();
        if (this.propose(leader.id, { type: ConfChangeType.AddLearner, nodeId: id, context: new Uint8Array(0) }))
          cluster.create(id);
        return;
      }
      case "promote": {
        const commit = leader.raw.raft.log.committed;
        const ready = learners.filter((id) => (leader.raw?.raft.prs.get(id)?.match ?? 0) >= commit);
        if (ready.length === 0) return;
        this.propose(leader.id, {
          type: ConfChangeType.AddVoter,
          nodeId: this.rng.pick(ready),
          context: new Uint8Array(0),
        });
        return;
      }
      case "remove": {
        const candidates = voters.length > 3 ? [...voters, ...learners] : learners;
        if (candidates.length === 0) return;
        this.propose(leader.id, {
          type: ConfChangeType.RemoveNode,
          nodeId: this.rng.pick(candidates),
          context: new Uint8Array(0),
        });
        return;
      }
      default:
        return;
    }
  }

  private propose(leaderId: NodeId, cc: ConfChange): boolean {
    const raw = this.env.cluster.nodes.get(leaderId)?.raw;
    const what = `${ConfChangeType[cc.type]} ${cc.nodeId} via leader ${leaderId}`;
    try {
      raw?.proposeConfChange(cc);
      this.env.note(`propose ${what}`);
      this.env.count(`propose-${ConfChangeType[cc.type]}`);
      return true;
    } catch (e) {
      if (!(e instanceof ConfChangeError || e instanceof ProposalDroppedError || e instanceof NotLeaderError)) throw e;
      this.env.note(`refused ${what}: ${e.code}`);
      return false;
    }
  }

  private partition(): void {
    const ids = [...this.env.cluster.nodes.values()].filter((n) => !n.retired).map((n) => n.id);
    if (ids.length < 2) return;
    const links: [NodeId, NodeId][] = [];
    const shuffled = this.rng.shuffle(ids);
    const style = this.rng.pick(["isolate", "split", "one-way link", "deaf", "mute"] as const);
    const a = shuffled[0] as NodeId;
    const side = new Set(style === "split" ? shuffled.slice(0, this.rng.intIn(1, Math.floor(ids.length / 2))) : [a]);
    for (const x of ids) {
      for (const y of ids) {
        if (x === y || side.has(x) === side.has(y)) continue;
        const cut =
          style === "isolate" ||
          style === "split" ||
          (style === "mute" && side.has(x)) ||
          (style === "deaf" && side.has(y));
        if (cut) links.push([x, y]);
      }
    }
    if (style === "one-way link") links.push([a, shuffled[1] as NodeId]);
    const id = this.env.network.cut(links);
    this.env.note(`partition #${id} ${style} [${[...side].join(",")}]: ${links.length} links cut`);
    this.env.schedule(this.rng.between(20, 400), { kind: "heal", cut: id });
  }

  /**
   * A node granted a vote (its write is durable, the answer is on the wire): sometimes crash it right away and
   * restart it at once, while the election it voted in is still going on.
   */
  onVoteGranted(id: NodeId, inc: number): void {
    if (this.env.now() >= this.env.params.activeMs || this.retiring.has(id) || !this.rng.chance(0.2)) return;
    this.env.schedule(this.rng.between(0, 1), { kind: "crash", node: id, inc, downMs: this.rng.between(0.5, 5) });
  }

  /** Crashes node `id` (if still incarnation `inc`) and restarts it `downMs` later. */
  crash(id: NodeId, inc: number, downMs: number): void {
    const n = this.env.cluster.nodes.get(id);
    if (!n?.alive || n.inc !== inc || this.retiring.has(id)) return;
    this.env.note(`crash voter ${n.id}: ${n.crash()}`);
    this.env.count("fault-crash-voter");
    this.env.schedule(downMs, { kind: "restart", node: n.id });
  }

  /** A removal was applied: the removed node is shut down for good a little later. */
  onRemoved(id: NodeId): void {
    if (this.retiring.has(id)) return;
    this.retiring.add(id);
    this.env.schedule(this.rng.between(0, 200), { kind: "shutdown", node: id });
  }
}
