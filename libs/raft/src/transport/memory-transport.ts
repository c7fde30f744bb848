import { decodeMessage, encodeMessage } from "../codec/codec.js";
import { type Message, type NodeId, MessageType } from "../core/types.js";
import { RaftConfigError } from "../errors.js";
import { type AuthorizeIdentity, type ExpectedIdentity, identityRefusal } from "./peer-identity.js";
import { type Transport, type TransportHandler, type TransportLog, silentLog } from "./transport.js";

/** Options of one {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** The address label peers record for it. Default `memory:<id>`. */
  readonly address?: string;
  /**
   * The identity this node proves to its peers: the twin of a certificate. A transport with one checks
   * identities as the TCP transport does over an authenticating socket factory, on every message: it sends to a
   * peer only when the receiver proves the identity recorded for it (`addPeer`'s `nodeId`; the dialer's check),
   * and takes a message only from a sender that proves the identity recorded for the member it is and that
   * `authorize` lets in (the listener's check). A transport without one proves nothing and checks nothing.
   */
  readonly nodeId?: string;
  /** The store's word on a verified identity, as `TcpTransportOptions.authorize`. */
  readonly authorize?: AuthorizeIdentity;
  /** Where refusals are logged. Silent by default. */
  readonly log?: TransportLog;
}

/** What an identity-checking endpoint checks with. */
interface Checks {
  readonly expected: ExpectedIdentity;
  readonly authorize: AuthorizeIdentity | undefined;
}

/** One node's registration on a {@link MemoryNetwork}; `open` turns false when its transport closes. */
interface Endpoint {
  readonly id: NodeId;
  readonly handler: TransportHandler;
  /** The identity it proves, if any. */
  readonly nodeId: string | undefined;
  /** Present when it checks identities. */
  readonly checks: Checks | undefined;
  readonly log: TransportLog;
  open: boolean;
}

/** A message the identity checks refused, and which side refused it. */
export interface Refusal {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly by: "sender" | "receiver";
  readonly reason: string;
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
 * `onSnapshotStatus`, as on TCP). Transports given an identity check it (see {@link MemoryTransportOptions});
 * a refused message is reported the same way, logged by the side that refused it and kept in `refusals`.
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly cuts = new Set<string>();
  private readonly isolated = new Set<NodeId>();
  private queue: Delivery[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  /** Every message the identity checks refused, in order. */
  readonly refusals: Refusal[] = [];

  /** Creates a transport for node `id` on this network. */
  transport(id: NodeId, options: MemoryTransportOptions = {}): MemoryTransport {
    return new MemoryTransport(this, id, options);
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
  attach(endpoint: Omit<Endpoint, "open">): Endpoint {
    const { id } = endpoint;
    if (this.endpoints.get(id)?.open) throw new RaftConfigError(`raft: node ${id} is already on this network`);
    const open: Endpoint = { ...endpoint, open: true };
    this.endpoints.set(id, open);
    return open;
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
      const target = this.endpoints.get(d.to);
      const ok = d.from.open && this.canReach(d.from.id, d.to) && target !== undefined && this.admits(d.from, target);
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

  /** Whether the identity checks of both sides let `from` send to `to` (the dialer's, then the listener's). */
  private admits(from: Endpoint, to: Endpoint): boolean {
    if (from.checks) {
      const expected = from.checks.expected(to.id);
      if (expected === undefined || expected === null || to.nodeId !== expected) {
        const proved = to.nodeId === undefined ? "no identity" : `node ${to.nodeId}`;
        const wanted = expected ? `node ${expected}` : "an identity the membership does not record";
        return this.refuse(
          from,
          to,
          "sender",
          `raft: member ${to.id} must be ${wanted}, but the peer proved ${proved}`,
        );
      }
    }
    if (to.checks) {
      const reason = identityRefusal(from.id, to.checks.expected(from.id), from.nodeId, to.checks.authorize);
      if (reason !== undefined) return this.refuse(from, to, "receiver", reason);
    }
    return true;
  }

  private refuse(from: Endpoint, to: Endpoint, by: Refusal["by"], reason: string): false {
    this.refusals.push({ from: from.id, to: to.id, by, reason });
    if (by === "receiver") to.log("warn", "raft: refused inbound connection", { from: from.id, reason });
    else from.log("warn", "raft: refused to send to a peer", { peer: to.id, reason });
    return false;
  }
}

/** A {@link Transport} on a {@link MemoryNetwork}. Same contract as TCP; addresses are labels only. */
export class MemoryTransport implements Transport {
  readonly address: string;
  private readonly peers = new Map<NodeId, { address: string; nodeId: string | undefined }>();
  private endpoint: Endpoint | null = null;
  private closed = false;

  /** Prefer {@link MemoryNetwork.transport}. */
  constructor(
    private readonly network: MemoryNetwork,
    readonly nodeId: NodeId,
    private readonly options: MemoryTransportOptions = {},
  ) {
    this.address = options.address ?? `memory:${nodeId}`;
  }

  /** Joins the network; messages to this node are delivered from now on. */
  start(handler: TransportHandler): Promise<void> {
    if (this.endpoint || this.closed) throw new RaftConfigError("raft: transport already started or closed");
    const o = this.options;
    this.endpoint = this.network.attach({
      id: this.nodeId,
      handler,
      nodeId: o.nodeId,
      checks:
        o.nodeId === undefined
          ? undefined
          : { expected: (id) => (this.peers.has(id) ? this.peers.get(id)?.nodeId : null), authorize: o.authorize },
      log: o.log ?? silentLog,
    });
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

  /** Records a peer (the address is only remembered; the identity is checked, see the options). */
  addPeer(id: NodeId, address: string, nodeId?: string): void {
    if (id !== this.nodeId) this.peers.set(id, { address, nodeId });
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
