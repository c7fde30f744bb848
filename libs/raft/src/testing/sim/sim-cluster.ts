import { type NodeId, Role } from "../../core/types.js";
import type { Rng } from "../rng.js";
import { InvariantViolation } from "./sim-failure.js";
import { type NodeEnv, SimNode } from "./sim-node.js";

/**
 * The simulated servers, by id. Ids are handed out once: a node added later always gets a new id, even if the
 * one before it was removed.
 */
export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  private nextId = 1;

  constructor(
    private readonly env: NodeEnv,
    private readonly rng: Rng,
  ) {}

  /** Creates and starts `n` nodes that bootstrap a new cluster together. */
  bootstrap(n: number): void {
    const ids = Array.from({ length: n }, () => this.nextId++);
    for (const id of ids) {
      const node = this.create(id);
      node.raw?.bootstrap(ids.map((p) => ({ id: p, context: new Uint8Array(0) })));
    }
  }

  /** Hands out a never-used id. */
  reserveId(): NodeId {
    return this.nextId++;
  }

  /** Creates and starts node `id` (from {@link reserveId}) with an empty disk, to be added as a learner. */
  create(id: NodeId): SimNode {
    const node = new SimNode(id, this.env, this.rng.fork());
    this.nodes.set(id, node);
    node.start();
    return node;
  }

  /** Nodes that are running. */
  live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  /** The running leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      const r = n.raw?.raft;
      if (!r || r.role !== Role.Leader) continue;
      if (!best || r.term > (best.raw?.raft.term ?? 0)) best = n;
    }
    return best;
  }

  /** Why the cluster has not converged yet, or null once a leader leads every member to the same state. */
  convergenceProblem(): string | null {
    const leader = this.leader();
    if (!leader?.raw) return "no leader";
    const lr = leader.raw.raft;
    if (lr.log.committed !== lr.log.lastIndex()) return `leader ${leader.id} has uncommitted entries`;
    const members = [...lr.membership.voters, ...lr.membership.learners];
    for (const id of members) {
      const n = this.nodes.get(id);
      if (!n?.raw) return `member ${id} is down`;
      if (n.writing) return `member ${id} is writing`;
      const r = n.raw.raft;
      if (r.term !== lr.term || r.lead !== leader.id) return `member ${id} follows ${r.lead} in term ${r.term}`;
      if (n.appliedIndex !== lr.log.committed) return `member ${id} applied ${n.appliedIndex} of ${lr.log.committed}`;
      if (n.appliedIndex === leader.appliedIndex && n.kv.digest() !== leader.kv.digest()) {
        const at = n.appliedIndex;
        throw new InvariantViolation(
          "state-machine-safety",
          `member ${id}'s state differs from leader ${leader.id}'s at ${at}`,
        );
      }
    }
    return null;
  }
}
