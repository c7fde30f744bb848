import { RaftError } from "../../errors.js";
import type { NodeId, Role } from "../../core/types.js";
import { describeMessage } from "./format.js";
import { Network } from "./network.js";
import { type NodeConfig, InteractionNode } from "./node.js";

/** Most rounds `stabilize` runs before it gives up (a livelock in a scenario is a bug to report). */
const MAX_STABILIZE_ROUNDS = 1000;

/** Prefixes every line with two spaces (the body of a `> ...` block). */
function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

/**
 * The state a scenario script drives: nodes, a network whose messages move only when the script says so, and
 * the bookkeeping that turns every step into deterministic text. Commands return their output lines; the
 * datadriven handler ({@link ./handler.ts}) parses directives and calls them.
 */
export class InteractionEnv {
  readonly nodes = new Map<NodeId, InteractionNode>();
  readonly net = new Network();

  /** The node `id`; throws (failing the directive) for an unknown id. */
  node(id: NodeId): InteractionNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** All node ids in ascending order. */
  ids(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /**
   * Creates `count` nodes with the next free ids. With `voters`, each is an initial member of a cluster with
   * that membership; without, it starts empty and joins through a conf change.
   */
  addNodes(
    count: number,
    voters: readonly NodeId[],
    learners: readonly NodeId[],
    cfg: NodeConfig,
    seed: number,
  ): string[] {
    const out: string[] = [];
    const first = this.nodes.size === 0 ? 1 : Math.max(...this.nodes.keys()) + 1;
    for (let id = first; id < first + count; id++) {
      const n = new InteractionNode(id, cfg, seed * 1000 + id);
      this.nodes.set(id, n);
      if (voters.length > 0) n.bootstrap(voters, learners);
      const st = n.core.status();
      out.push(`INFO ${id} started: term=${st.term} commit=${st.commit} applied=${st.applied} last=${st.lastIndex}`);
    }
    return out;
  }

  /** Runs `fn` (which may throw a RaftError, printed as `error: ...`) and reports the role changes it caused. */
  observe(fn: () => string[] | void): string[] {
    const before = this.roles();
    let out: string[];
    try {
      out = fn() ?? [];
    } catch (err) {
      if (!(err instanceof RaftError)) throw err;
      out = [`error: ${err.name}: ${err.message}`];
    }
    return [...out, ...this.transitions(before)];
  }

  private roles(): Map<NodeId, { role: Role; term: number }> {
    const m = new Map<NodeId, { role: Role; term: number }>();
    for (const [id, n] of this.nodes) if (n.up) m.set(id, { role: n.core.raft.role, term: n.core.raft.term });
    return m;
  }

  private transitions(before: Map<NodeId, { role: Role; term: number }>): string[] {
    const out: string[] = [];
    for (const [id, now] of this.roles()) {
      const was = before.get(id);
      if (was && (was.role !== now.role || was.term !== now.term))
        out.push(`INFO ${id} became ${now.role} at term ${now.term}`);
    }
    return out;
  }

  /** Handles the pending Ready of each node (persist, send, apply, advance); one block per node when several. */
  processReady(ids: readonly NodeId[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      const n = this.node(id);
      const lines = this.observe(() => {
        if (!n.core.hasReady()) return ["<no Ready>"];
        const rd = n.processReady();
        this.net.send(id, rd.messages, (to) => this.nodes.get(to)?.up === false);
        return rd.lines;
      });
      if (ids.length === 1) out.push(...lines);
      else out.push(`> ${id} handling Ready`, ...indent(lines));
    }
    return out;
  }

  /**
   * Delivers the queued messages addressed to each of `ids`, oldest first. Messages sent by a node in `dropFrom`,
   * lost on a cut link (at sending or now) or addressed to a node that is down are discarded and printed as
   * `dropped: ...`.
   */
  deliverMsgs(ids: readonly NodeId[], dropFrom: readonly NodeId[] = []): string[] {
    const out: string[] = [];
    for (const id of ids) {
      const n = this.node(id);
      const msgs = this.net.take(id);
      if (msgs.length === 0) continue;
      const lines: string[] = [];
      for (const { sender, msg, lost } of msgs) {
        const text = describeMessage(msg, sender);
        if (lost || dropFrom.includes(sender) || this.net.isCut(sender, id) || !n.up) {
          lines.push(`dropped: ${text}`);
          continue;
        }
        lines.push(text, ...this.observe(() => n.core.step(msg)));
      }
      if (ids.length === 1) out.push(...lines);
      else out.push(`> ${id} receiving messages`, ...indent(lines));
    }
    return out;
  }

  /** Discards every queued message addressed to one of `ids`, printing them. */
  dropMsgs(ids: readonly NodeId[]): string[] {
    return ids.flatMap((id) => this.net.take(id).map(({ sender, msg }) => `dropped: ${describeMessage(msg, sender)}`));
  }

  /**
   * Processes Readies and delivers messages among `ids` until nothing moves: each round handles every pending
   * Ready, then every node's incoming messages. Messages to nodes outside `ids` stay queued.
   */
  stabilize(ids: readonly NodeId[]): string[] {
    const out: string[] = [];
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      const ready = ids.filter((id) => this.node(id).up && this.node(id).core.hasReady());
      const receiving = ids.filter((id) => this.net.hasFor(id));
      if (ready.length === 0 && receiving.length === 0) return out;
      for (const id of ready) out.push(`> ${id} handling Ready`, ...indent(this.processReady([id])));
      for (const id of receiving) out.push(`> ${id} receiving messages`, ...indent(this.deliverMsgs([id])));
    }
    throw new Error(`stabilize: still busy after ${MAX_STABILIZE_ROUNDS} rounds`);
  }

  /** Crashes node `id`: its core's memory is gone, and so are the messages on their way to it. */
  crash(id: NodeId): string[] {
    this.node(id).crash();
    return this.dropMsgs([id]);
  }

  /** Ticks node `id` `count` times. */
  tick(id: NodeId, count: number): string[] {
    const n = this.node(id);
    return this.observe(() => {
      for (let i = 0; i < count; i++) n.core.tick();
    });
  }

  /** Ticks a node until its election timer fires (for a leader: until its check-quorum round). */
  tickElection(id: NodeId): string[] {
    return this.tick(id, this.node(id).ticksToTimeout());
  }

  /** Ticks a node for one heartbeat interval. */
  tickHeartbeat(id: NodeId): string[] {
    return this.tick(id, this.node(id).core.raft.config.heartbeatTick);
  }
}
