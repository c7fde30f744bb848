import type { NodeId } from "../core/types.js";
import { RaftConfigError } from "../errors.js";
import type { BackoffOptions } from "./backoff.js";
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_HANDSHAKE_FRAME_BYTES } from "./frame.js";
import type { AuthorizeIdentity } from "./peer-identity.js";
import { DEFAULT_MAX_SNAPSHOT_BYTES } from "./snapshot-assembler.js";
import { type SocketFactory, tcpSockets } from "./socket-factory.js";
import { type TransportLog, silentLog } from "./transport.js";

/** Options of {@link TcpTransport}. Sizes are in bytes, durations in milliseconds. */
export interface TcpTransportOptions {
  /** This node's id (positive). */
  readonly nodeId: NodeId;
  /** The cluster's id; connections from another cluster are refused. */
  readonly clusterId: string;
  /** Host or IP to listen on, e.g. "0.0.0.0" or "127.0.0.1". */
  readonly host: string;
  /** Port to listen on; 0 picks a free one (read it back from `address`). */
  readonly port: number;
  /**
   * Socket seam; plain TCP by default. Pass a TLS factory to encrypt without touching the protocol. A factory
   * with `peerIdentity` makes the transport check identities: a Hello is accepted only from the peer that proved
   * the identity the membership records for the Raft id it claims (`addPeer`'s `nodeId`).
   */
  readonly sockets?: SocketFactory;
  /** Largest frame accepted or sent (type byte + payload). Default 16 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Largest frame accepted from a peer whose handshake is not accepted yet, either side. Default 1 KiB: a
   * stranger cannot make this node allocate more. Must hold a Hello and its reply, so the cluster id is bounded.
   */
  readonly maxHandshakeFrameBytes?: number;
  /** Slice size of snapshot data on the snapshot channel. Default 512 KiB; must be below `maxFrameBytes`. */
  readonly snapshotChunkBytes?: number;
  /** Largest snapshot data accepted from a peer. Default 1 GiB; the receive buffer grows with the data. */
  readonly maxSnapshotBytes?: number;
  /** Per-peer outgoing queue bound in messages. Default 4096. */
  readonly maxQueueMessages?: number;
  /** Per-peer outgoing queue bound in encoded bytes. Default 64 MiB. */
  readonly maxQueueBytes?: number;
  /** Reconnect backoff: 50 ms doubling to 2 s by default, with injectable jitter. */
  readonly backoff?: BackoffOptions;
  /** Time allowed for a connection's handshake, either side. Default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /** Time allowed for one whole snapshot transfer, ack included. Default 10 min. */
  readonly snapshotTimeoutMs?: number;
  /** Logger seam; silent by default. */
  readonly log?: TransportLog;
  /**
   * With a factory that checks identities: the store's word on a peer whose identity matched the membership (in
   * Shoal: its node exists and is a manager). A refusal is logged with its reason and told to the dialer.
   */
  readonly authorize?: AuthorizeIdentity;
}

/** {@link TcpTransportOptions} with every default filled in and checked (`authorize` stays optional). */
export type TransportConfig = Required<Omit<TcpTransportOptions, "authorize">> & Pick<TcpTransportOptions, "authorize">;

/** Fills defaults and validates; throws {@link RaftConfigError} naming the bad option. */
export function resolveConfig(o: TcpTransportOptions): TransportConfig {
  const c: TransportConfig = {
    sockets: tcpSockets,
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    maxHandshakeFrameBytes: DEFAULT_MAX_HANDSHAKE_FRAME_BYTES,
    snapshotChunkBytes: 512 * 1024,
    maxSnapshotBytes: DEFAULT_MAX_SNAPSHOT_BYTES,
    maxQueueMessages: 4096,
    maxQueueBytes: 64 * 1024 * 1024,
    backoff: {},
    handshakeTimeoutMs: 5000,
    snapshotTimeoutMs: 10 * 60 * 1000,
    log: silentLog,
    ...o,
  };
  if (!Number.isSafeInteger(c.nodeId) || c.nodeId <= 0) {
    throw new RaftConfigError(`raft: transport nodeId ${c.nodeId} must be a positive integer`);
  }
  if (c.clusterId === "") throw new RaftConfigError("raft: transport clusterId must not be empty");
  const positive: (keyof TransportConfig)[] = [
    "maxFrameBytes",
    "maxHandshakeFrameBytes",
    "snapshotChunkBytes",
    "maxSnapshotBytes",
    "maxQueueMessages",
    "maxQueueBytes",
    "handshakeTimeoutMs",
    "snapshotTimeoutMs",
  ];
  for (const key of positive) {
    const v = c[key];
    if (typeof v !== "number" || !(v > 0)) throw new RaftConfigError(`raft: transport option ${key} must be > 0`);
  }
  if (c.snapshotChunkBytes >= c.maxFrameBytes) {
    throw new RaftConfigError(
      `raft: transport option snapshotChunkBytes (${c.snapshotChunkBytes}) must be below maxFrameBytes ` +
        `(${c.maxFrameBytes})`,
    );
  }
  // A refusal's reason quotes both cluster ids; with the Hello's other fields, 128 bytes is ample.
  const clusterIdBytes = new TextEncoder().encode(c.clusterId).byteLength;
  if (2 * clusterIdBytes + 128 > c.maxHandshakeFrameBytes) {
    throw new RaftConfigError(
      `raft: transport clusterId is ${clusterIdBytes} bytes, too long for maxHandshakeFrameBytes ` +
        `(${c.maxHandshakeFrameBytes}): use a cluster id of at most ${Math.floor((c.maxHandshakeFrameBytes - 128) / 2)} bytes ` +
        "or raise maxHandshakeFrameBytes",
    );
  }
  return c;
}
