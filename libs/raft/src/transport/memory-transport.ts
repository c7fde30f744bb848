import { decodeMessage, encodeMessage } from "../codec/codec.js";
import { type Message, type NodeId, MessageType } from "../core/types.js";
import { RaftConfigError } from "../errors.js";
import type { Transport, TransportHandler } from "./transport.js";

/** One node's registration on a {@link MemoryNetwork}; `open` turns false when its transport closes. */
interface Endpoint {
  readonly id: NodeId;
  readonly handler: TransportHandler;
  open: boolean;
}

interface Delivery {
  readonly from: Endpoint;
  readonly to: NodeId;
  readonly bytes: Uint8Array;
  readonly snap: boolean;
}

/**
 * An in-memory network for driver tests and simulations: the twin of the TCP transport. Messages are encoded
 * and decoded like on the wire (so nodes share no buffers) and delivered asynchronously, in send order (hence
 * per-pair order), on a later turn of the event loop. Links can be cut one way, both ways, or around a node;
 * a message whose link is cut when it is delivered is reported with `onUnreachable` (MsgSnap: a failed
 * `onSnapshotStatus`, as on TCP).
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<NodeId>();
  private queue: Delivery[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  /** Creates a transport for node `id` on this network. */
  transport(id: NodeId, address = `memory:${id}`): MemoryTransport {
    return new MemoryTransport(this, id, address);
  }

  /** Cuts every link between group `a` and group `b`, both ways. */
  partition(a: NodeId | readonly NodeId[], b: NodeId | readonly NodeId[]): void {
    for (const x of typeof a === "number" ? [a] : a) {
      for (const y of typeof b === "number" ? [b] : b) {
        this.cut(x, y);
        this.cut(y, x);
      }
    }
  }

  /** Cuts `id` off from every other node, including nodes that join later. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Cuts the link from `from` to `to` only: `to` can still reach `from`. */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** Restores every link. Messages already dropped stay dropped. */
  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
  }

  /** Whether a message sent now from `from` would reach `to` (registered, started and not cut off). */
  canReach(from: NodeId, to: NodeId): boolean {
    if (this.isolated.has(from) || this.isolated.has(to) || this.cuts.has(`${from}>${to}`)) return false;
    return this.endpoints.get(to)?.open === true;
  }

  /** Resolves once every message sent so far, and every message sent while handling them, was handled. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** @internal Registers a started transport; a node id may be registered once at a time. */
  attach(id: NodeId, handler: TransportHandler): Endpoint {
    if (this.endpoints.get(id)?.open) throw new RaftConfigError(`raft: node ${id} is already on this network`);
    const endpoint: Endpoint = { id, handler, open: true };
    this.endpoints.set(id, endpoint);
    return endpoint;
  }

  /** @internal Unregisters a closing transport; nothing is delivered to or reported to it afterwards. */
  detach(endpoint: Endpoint): void {
    endpoint.open = false;
    if (this.endpoints.get(endpoint.id) === endpoint) this.endpoints.delete(endpoint.id);
  }

  /** @internal Queues `m` from `from` for delivery. */
  post(from: Endpoint, m: Message): void {
    this.queue.push({ from, to: m.to, bytes: encodeMessage(m).slice(), snap: m.type === MessageType.Snap });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const d of batch) {
      const ok = d.from.open && this.canReach(d.from.id, d.to);
      const target = this.endpoints.get(d.to);
      if (ok && target) target.handler.onMessage(decodeMessage(d.bytes));
      if (!d.from.open) continue;
      if (d.snap) d.from.handler.onSnapshotStatus(d.to, ok);
      else if (!ok) d.from.handler.onUnreachable(d.to);
    }
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/** A {@link Transport} on a {@link MemoryNetwork}. Same contract as TCP; addresses are labels only. */
export class MemoryTransport implements Transport {
  private readonly peers = new Map<NodeId, string>();
  private endpoint: Endpoint | null = null;
  private closed = false;

  /** Prefer {@link MemoryNetwork.transport}. */
  constructor(
    private readonly network: MemoryNetwork,
    readonly nodeId: NodeId,
    readonly address: string,
  ) {}

  /** Joins the network; messages to this node are delivered from now on. */
  start(handler: TransportHandler): Promise<void> {
    if (this.endpoint || this.closed) throw new RaftConfigError("raft: transport already started or closed");
    this.endpoint = this.network.attach(this.nodeId, handler);
    return Promise.resolve();
  }

  /** Queues messages; ourselves: dropped; unknown peers: `onUnreachable`, asynchronously like on TCP. */
  send(messages: readonly Message[]): void {
    const endpoint = this.endpoint;
    if (!endpoint?.open) return;
    const unknown = new Set<NodeId>();
    for (const m of messages) {
      if (m.to === this.nodeId) continue;
      if (this.peers.has(m.to)) this.network.post(endpoint, m);
      else unknown.add(m.to);
    }
    for (const id of unknown) {
      queueMicrotask(() => {
        if (endpoint.open) endpoint.handler.onUnreachable(id);
      });
    }
  }

  /** Records a peer (the address is only remembered). */
  addPeer(id: NodeId, address: string): void {
    if (id !== this.nodeId) this.peers.set(id, address);
  }

  /** Forgets a peer: later messages to it are reported unreachable. */
  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  /** Leaves the network; nothing is delivered or reported to this transport afterwards. */
  close(): Promise<void> {
    this.closed = true;
    if (this.endpoint) this.network.detach(this.endpoint);
    return Promise.resolve();
  }
}
