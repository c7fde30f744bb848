import type { Message, NodeId } from "../../core/types.js";

/** A message on the wire, with the node that sent it (a forwarded message may name another node in `from`). */
export interface InFlight {
  readonly sender: NodeId;
  readonly msg: Message;
  /** The link was down when the message was sent: it is lost even if the link is back by delivery time. */
  readonly lost: boolean;
}

/**
 * The interaction environment's network: one FIFO queue of sent messages, delivered only when a script asks,
 * and the links that are down. A message is lost if its link is down, or its target is down, when it is sent or
 * when it is delivered.
 */
export class Network {
  private queue: InFlight[] = [];
  /** One-way cuts as `from->to`. */
  private readonly cuts = new Set<string>();
  /** Nodes cut off from every other node, both ways. */
  private readonly isolated = new Set<NodeId>();

  /** Puts messages on the wire; those to a node for which `isDown` holds are lost like those on a cut link. */
  send(sender: NodeId, msgs: readonly Message[], isDown: (id: NodeId) => boolean): void {
    for (const msg of msgs) this.queue.push({ sender, msg, lost: this.isCut(sender, msg.to) || isDown(msg.to) });
  }

  /** Removes and returns the messages addressed to `to`, oldest first. */
  take(to: NodeId): InFlight[] {
    const taken = this.queue.filter((f) => f.msg.to === to);
    this.queue = this.queue.filter((f) => f.msg.to !== to);
    return taken;
  }

  /** Whether any message waits for `to`. */
  hasFor(to: NodeId): boolean {
    return this.queue.some((f) => f.msg.to === to);
  }

  /** Whether the link from `from` to `to` is down. */
  isCut(from: NodeId, to: NodeId): boolean {
    return this.isolated.has(from) || this.isolated.has(to) || this.cuts.has(`${from}->${to}`);
  }

  /** Takes down the link from `from` to `to` (one way). */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}->${to}`);
  }

  /** Cuts `id` off from every other node, both ways. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Brings every link back up. Messages already dropped stay lost. */
  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
  }

  /** The links that are down, for printing: `isolated=(3) cut=(1->2)`. */
  describe(): string {
    const cuts = [...this.cuts].sort();
    const isolated = [...this.isolated].sort((a, b) => a - b);
    if (cuts.length === 0 && isolated.length === 0) return "all links up";
    return `isolated=(${isolated.join(",")}) cut=(${cuts.join(",")})`;
  }
}
