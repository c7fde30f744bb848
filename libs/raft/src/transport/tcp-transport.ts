import type { Server } from "node:net";
import type { Duplex } from "node:stream";
import { type Message, type NodeId, MessageType } from "../core/types.js";
import { RaftConfigError } from "../errors.js";
import { formatAddress, parseAddress } from "./address.js";
import { type TcpTransportOptions, type TransportConfig, resolveConfig } from "./config.js";
import { encodeMessageFrame, frameLength } from "./frame.js";
import type { CheckPeer } from "./handshake.js";
import { serveInbound } from "./inbound.js";
import { identityRefusal } from "./peer-identity.js";
import { PeerStream } from "./peer-stream.js";
import { SnapshotSender } from "./snapshot-sender.js";
import type { Transport, TransportHandler } from "./transport.js";

/**
 * The Raft transport over TCP (or anything the socket factory returns). Each node dials each peer for its own
 * outgoing messages: one long-lived "stream" connection per peer, plus a short-lived "snapshot" connection per
 * snapshot, so that a large snapshot never delays heartbeats. Inbound connections only receive.
 * Wire format: see frame.ts, handshake.ts and snapshot-wire.ts.
 *
 * With a socket factory that authenticates peers (`peerIdentity`), each peer has the identity the membership
 * records for it (`addPeer`'s `nodeId`): the dialer requires it of the server, and the listener accepts a Hello
 * only from the peer that proved the identity of the member it claims to be and that `authorize` lets in.
 * Removing a peer, or changing its identity, closes its connections both ways.
 */
export class TcpTransport implements Transport {
  private readonly config: TransportConfig;
  private readonly peers = new Map<NodeId, PeerStream>();
  private readonly snapshots = new Map<NodeId, SnapshotSender>();
  private readonly inbound = new Set<Duplex>();
  /** Inbound connections whose Hello was accepted, by the member they speak for. */
  private readonly inboundFrom = new Map<NodeId, Set<Duplex>>();
  private readonly checkPeer: CheckPeer | undefined;
  private handler: TransportHandler | null = null;
  private server: Server | null = null;
  private listenAddress: string;
  private closed = false;

  constructor(options: TcpTransportOptions) {
    this.config = resolveConfig(options);
    this.listenAddress = formatAddress(options.host, options.port);
    const { sockets, authorize } = this.config;
    const peerIdentity = sockets.peerIdentity?.bind(sockets);
    this.checkPeer =
      peerIdentity &&
      ((from, socket) => {
        const peer = this.peers.get(from);
        return identityRefusal(from, peer ? peer.nodeId : null, peerIdentity(socket), authorize);
      });
  }

  /** The address actually listened on once started (port 0 resolved); the configured one before. */
  get address(): string {
    return this.listenAddress;
  }

  /** Listens, then dials every peer added so far. Rejects if the address cannot be bound. */
  async start(handler: TransportHandler): Promise<void> {
    if (this.handler || this.closed) throw new RaftConfigError("raft: transport already started or closed");
    this.handler = handler;
    const c = this.config;
    const server = c.sockets.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(c.port, c.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => c.log("error", "raft: transport server error", { error: err.message }));
    const bound = server.address();
    if (bound && typeof bound === "object") this.listenAddress = formatAddress(bound.address, bound.port);
    c.log("info", "raft: transport listening", { address: this.listenAddress, nodeId: c.nodeId });
    for (const peer of this.peers.values()) peer.start();
  }

  /**
   * Queues messages. Never blocks or throws: messages to ourselves are dropped, and those to unknown peers or
   * that cannot be queued are reported through `onUnreachable` (once per peer per call, asynchronously).
   * Before `start()` and after `close()` everything is dropped silently.
   */
  send(messages: readonly Message[]): void {
    if (!this.handler || this.closed) return;
    const unreachable = new Set<NodeId>();
    for (const m of messages) {
      if (m.to === this.config.nodeId) continue;
      const peer = this.peers.get(m.to);
      if (!peer) {
        unreachable.add(m.to);
      } else if (m.type === MessageType.Snap) {
        this.sendSnapshot(peer, m);
      } else {
        const frame = encodeMessageFrame(m);
        if (frameLength(frame) > this.config.maxFrameBytes) {
          this.config.log("error", "raft: message larger than maxFrameBytes; dropped", {
            peer: m.to,
            type: m.type,
            bytes: frame.byteLength,
          });
          unreachable.add(m.to);
        } else if (!peer.enqueue(frame)) {
          unreachable.add(m.to);
        }
      }
    }
    for (const id of unreachable) this.notify((h) => h.onUnreachable(id));
  }

  /**
   * Adds a peer, or moves it: a changed address or identity drops its connections (both ways) and dials again.
   * `nodeId` is the identity the membership records for it (see the class comment).
   */
  addPeer(id: NodeId, address: string, nodeId?: string): void {
    if (this.closed || id === this.config.nodeId) return;
    const target = parseAddress(address);
    const peer = this.peers.get(id);
    if (peer) {
      const was = peer.address;
      if (was.host === target.host && was.port === target.port && peer.nodeId === nodeId) return;
      this.snapshots.get(id)?.cancel("raft: peer address or identity changed");
      if (peer.nodeId !== nodeId) this.dropInbound(id, "raft: peer identity changed");
      peer.setTarget(target, nodeId);
      return;
    }
    const stream = new PeerStream(this.config, id, target, nodeId, (p) => this.notify((h) => h.onUnreachable(p)));
    this.peers.set(id, stream);
    if (this.handler) stream.start();
  }

  /** Forgets a peer: closes its stream and its inbound connections, and cancels its snapshot (reported as failed). */
  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
    this.snapshots.get(id)?.cancel("raft: peer removed");
    this.dropInbound(id, "raft: peer removed");
  }

  /** Closes the listener, every connection and every timer. No handler is called afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    for (const s of this.snapshots.values()) s.cancel("raft: transport closed");
    for (const socket of this.inbound) socket.destroy();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.config.log("info", "raft: transport closed", { nodeId: this.config.nodeId });
  }

  private sendSnapshot(peer: PeerStream, m: Message): void {
    const c = this.config;
    if (!m.snapshot) {
      c.log("error", "raft: MsgSnap without a snapshot; dropped", { peer: peer.peer });
      this.notify((h) => h.onSnapshotStatus(peer.peer, false));
      return;
    }
    if (this.snapshots.has(peer.peer)) {
      // NB: the core sends one snapshot at a time per follower; a second one means it is waiting for a status.
      c.log("warn", "raft: a snapshot to this peer is already in flight; dropped", { peer: peer.peer });
      return;
    }
    const sender = new SnapshotSender(c, peer.peer, peer.address, peer.nodeId, m);
    this.snapshots.set(peer.peer, sender);
    void sender.run().then((ok) => {
      if (this.snapshots.get(peer.peer) === sender) this.snapshots.delete(peer.peer);
      this.notify((h) => h.onSnapshotStatus(peer.peer, ok));
    });
  }

  private accept(socket: Duplex): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once("close", () => this.inbound.delete(socket));
    const c = this.config;
    serveInbound(socket, {
      nodeId: c.nodeId,
      clusterId: c.clusterId,
      maxFrameBytes: c.maxFrameBytes,
      maxHandshakeFrameBytes: c.maxHandshakeFrameBytes,
      maxSnapshotBytes: c.maxSnapshotBytes,
      handshakeTimeoutMs: c.handshakeTimeoutMs,
      log: c.log,
      checkPeer: this.checkPeer,
      deliver: (m) => this.notify((h) => h.onMessage(m), false),
      accepted: (from) => {
        let set = this.inboundFrom.get(from);
        if (!set) this.inboundFrom.set(from, (set = new Set()));
        set.add(socket);
        socket.once("close", () => {
          set.delete(socket);
          if (set.size === 0 && this.inboundFrom.get(from) === set) this.inboundFrom.delete(from);
        });
      },
    });
  }

  /** Closes the inbound connections that speak for member `id`. */
  private dropInbound(id: NodeId, reason: string): void {
    const set = this.inboundFrom.get(id);
    if (!set) return;
    this.inboundFrom.delete(id);
    this.config.log("info", "raft: closing inbound connections of a peer", { peer: id, count: set.size, reason });
    for (const socket of set) socket.destroy();
  }

  /**
   * Calls the handler unless closed: deferred to a microtask by default so that the driver is never re-entered
   * from inside `send`. A throwing handler is logged, not allowed to kill a connection.
   */
  private notify(call: (h: TransportHandler) => void, defer = true): void {
    const run = (): void => {
      const h = this.handler;
      if (this.closed || !h) return;
      try {
        call(h);
      } catch (err) {
        this.config.log("error", "raft: transport handler threw", { error: String(err) });
      }
    };
    if (defer) queueMicrotask(run);
    else run();
  }
}
