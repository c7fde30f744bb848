import type { Message, NodeId } from "../core/types.js";

/** Handlers the driver gives the transport. They are called on the event loop, never re-entrantly from `send`. */
export interface TransportHandler {
  /** A message arrived for this node (already validated: right cluster, addressed to us). */
  onMessage(m: Message): void;
  /** A message to `peer` could not be sent (connection down, queue full); the driver steps MsgUnreachable. */
  onUnreachable(peer: NodeId): void;
  /** A snapshot send to `peer` finished; `ok === false` on failure. The driver steps MsgSnapStatus. */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
}

/**
 * Carries Raft messages between the nodes of one cluster. Delivery is best effort: Raft retries on its own, so
 * a transport drops rather than buffers without bound, and reports drops through {@link TransportHandler}.
 */
export interface Transport {
  /** Starts listening and dialing the peers added so far. */
  start(handler: TransportHandler): Promise<void>;
  /** Queues messages for sending; never blocks and never throws for a down peer. */
  send(messages: readonly Message[]): void;
  /**
   * Adds a peer at `address` ("host:port") whose identity is `nodeId` (what an authenticating transport requires
   * it to prove; undefined when the membership records none). Updating an existing peer's address or identity
   * reconnects.
   */
  addPeer(id: NodeId, address: string, nodeId?: string): void;
  /** Forgets a peer and closes its connections, both ways; later messages to it count as unreachable. */
  removePeer(id: NodeId): void;
  /** The address actually listened on (port 0 -> real port). */
  readonly address: string;
  /** Ends every connection and timer; no handle keeps the process alive afterwards. */
  close(): Promise<void>;
}

/** Severity of a transport log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Logger seam: the transport never writes to the console itself. */
export type TransportLog = (level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

/** A logger that drops everything. */
export const silentLog: TransportLog = () => {};
