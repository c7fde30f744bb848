import type { NodeId } from "../core/types.js";
import { type HostPort, formatAddress } from "./address.js";
import { Backoff } from "./backoff.js";
import type { TransportConfig } from "./config.js";
import { dial } from "./dial.js";
import type { FrameConnection } from "./frame-connection.js";

/**
 * This node's outgoing "stream" connection to one peer: a bounded queue of encoded frames, flushed in one
 * socket write per tick, and a dial loop with exponential backoff.
 *
 * States: connecting (frames queue up) -> connected (frames flush) -> on any failure, backoff (frames are
 * refused, so the driver hears "unreachable" at once) -> connecting again. Frames queued but unwritten when
 * a connection fails are dropped and reported; Raft resends what matters.
 */
export class PeerStream {
  private state: "idle" | "connecting" | "connected" | "backoff" | "closed" = "idle";
  private conn: FrameConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private blocked = false;
  /** Why the last dial failed, while no dial has succeeded since: a repeated reason is logged at debug only. */
  private lastFailure: string | null = null;
  private readonly backoff: Backoff;

  constructor(
    private readonly config: TransportConfig,
    readonly peer: NodeId,
    private target: HostPort,
    private identity: string | undefined,
    /** Called when queued frames were dropped because the connection failed. */
    private readonly onDropped: (peer: NodeId) => void,
  ) {
    this.backoff = new Backoff(config.backoff);
  }

  /** Where the peer listens. */
  get address(): HostPort {
    return this.target;
  }

  /** The identity the membership records for the peer, which an authenticating socket factory requires. */
  get nodeId(): string | undefined {
    return this.identity;
  }

  /** Starts dialing (once the transport is started). */
  start(): void {
    if (this.state === "idle") this.connect();
  }

  /** Queues one encoded frame; false if refused (no connection, or queue full): the caller reports it. */
  enqueue(frame: Uint8Array): boolean {
    if (this.state === "backoff" || this.state === "closed") return false;
    const c = this.config;
    if (this.queue.length >= c.maxQueueMessages || this.queuedBytes + frame.byteLength > c.maxQueueBytes) {
      c.log("debug", "raft: outgoing queue full; message dropped", { peer: this.peer, queued: this.queue.length });
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.byteLength;
    if (this.state === "connected" && !this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return true;
  }

  /** Points the stream at a new address or identity: drops the current connection and dials again at once. */
  setTarget(target: HostPort, nodeId: string | undefined): void {
    this.target = target;
    this.identity = nodeId;
    if (this.state === "idle" || this.state === "closed") return;
    this.dropConnection("raft: peer address or identity changed");
    this.backoff.reset();
    this.connect();
  }

  /** Closes the connection and stops redialing; queued frames are discarded. */
  close(): void {
    this.dropConnection("raft: peer stream closed");
    this.state = "closed";
    this.queue = [];
    this.queuedBytes = 0;
  }

  private connect(): void {
    this.state = "connecting";
    const c = this.config;
    const conn = dial(
      {
        sockets: c.sockets,
        target: this.target,
        hello: { clusterId: c.clusterId, from: c.nodeId, to: this.peer, channel: "stream" },
        peerNodeId: this.identity,
        maxFrameBytes: c.maxFrameBytes,
        maxHandshakeFrameBytes: c.maxHandshakeFrameBytes,
        handshakeTimeoutMs: c.handshakeTimeoutMs,
        log: c.log,
      },
      (failure) => {
        if (this.conn !== conn) return;
        if (failure !== null) {
          this.disconnected(failure);
          return;
        }
        this.state = "connected";
        this.lastFailure = null;
        this.backoff.reset();
        c.log("debug", "raft: connected to peer", { peer: this.peer, address: this.describe() });
        conn.onClose = (reason) => {
          if (this.conn === conn) this.disconnected(reason);
        };
        this.flush();
      },
    );
    this.conn = conn;
  }

  private disconnected(reason: string): void {
    const wasConnected = this.state === "connected";
    const dropped = this.queue.length;
    this.conn = null;
    this.blocked = false;
    this.queue = [];
    this.queuedBytes = 0;
    const delay = this.backoff.next();
    // A dial failing for a new reason (refused, unreachable, the peer's identity) is worth a warning, once.
    const fresh = !wasConnected && reason !== this.lastFailure;
    this.lastFailure = wasConnected ? null : reason;
    this.config.log(wasConnected ? "info" : fresh ? "warn" : "debug", "raft: peer connection down", {
      peer: this.peer,
      address: this.describe(),
      reason,
      dropped,
      retryInMs: delay,
    });
    this.state = "backoff";
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
    if (dropped > 0 || wasConnected) this.onDropped(this.peer);
  }

  private dropConnection(reason: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const conn = this.conn;
    this.conn = null;
    this.blocked = false;
    conn?.close(reason);
  }

  /** Writes everything queued in one write, unless the socket asked us to wait for 'drain'. */
  private flush(): void {
    this.flushScheduled = false;
    const conn = this.conn;
    if (this.state !== "connected" || !conn || this.blocked || this.queue.length === 0) return;
    const data = this.queue.length === 1 ? (this.queue[0] as Uint8Array) : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    if (!conn.write(data)) {
      this.blocked = true;
      conn.whenDrained(() => {
        if (this.conn !== conn) return;
        this.blocked = false;
        this.flush();
      });
    }
  }

  private describe(): string {
    return formatAddress(this.target.host, this.target.port);
  }
}
