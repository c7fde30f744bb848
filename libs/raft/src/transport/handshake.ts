import type { Duplex } from "node:stream";
import { ByteReader } from "../codec/bytes.js";
import type { NodeId } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { FrameType, encodeFrameWith } from "./frame.js";

/**
 * The handshake that opens every connection. The dialer sends a {@link FrameType.Hello} frame:
 * `magic "SHRT" | u8 version | bytes clusterId | uvarint from | uvarint to | u8 channel`; the listener answers
 * with a HelloReply and, if it refused, closes. Nothing else is sent before an accepting reply.
 */

/** The four bytes that open every Hello payload: "SHRT". */
export const HELLO_MAGIC = new Uint8Array([0x53, 0x48, 0x52, 0x54]);

/** Version of the wire protocol; a listener refuses any other. */
export const PROTOCOL_VERSION = 1;

/**
 * What a connection carries. "stream": the dialer's Raft messages to the listener, one long-lived connection
 * per peer. "snapshot": one MsgSnap, its data in chunks, then the listener's ack.
 */
export type ChannelKind = "stream" | "snapshot";

const CHANNELS: readonly ChannelKind[] = ["stream", "snapshot"];

/** The content of a Hello frame. */
export interface Hello {
  readonly version: number;
  readonly clusterId: string;
  /** The dialing node. */
  readonly from: NodeId;
  /** The node the dialer believes it is calling. */
  readonly to: NodeId;
  readonly channel: ChannelKind;
}

/** Encodes a Hello frame at the current {@link PROTOCOL_VERSION}. */
export function encodeHello(h: Omit<Hello, "version">): Uint8Array {
  const cluster = new TextEncoder().encode(h.clusterId);
  return encodeFrameWith(FrameType.Hello, cluster.byteLength + 32, (w) =>
    w
      .raw(HELLO_MAGIC)
      .u8(PROTOCOL_VERSION)
      .bytes(cluster)
      .uvarint(h.from)
      .uvarint(h.to)
      .u8(CHANNELS.indexOf(h.channel)),
  );
}

/** Decodes a Hello payload; throws {@link RaftCorruptionError} if it is not one (bad magic or fields). */
export function decodeHello(payload: Uint8Array): Hello {
  const r = new ByteReader(payload);
  for (const b of HELLO_MAGIC) {
    if (r.u8() !== b) throw new RaftCorruptionError("raft: connection does not speak the raft transport protocol");
  }
  const version = r.u8();
  const clusterId = new TextDecoder().decode(r.bytes());
  const from = r.uvarint();
  const to = r.uvarint();
  const channel = CHANNELS[r.u8()];
  r.end();
  if (channel === undefined) throw new RaftCorruptionError("raft: unknown channel kind in handshake");
  return { version, clusterId, from, to, channel };
}

/** Why the peer on `socket` may not speak as Raft member `from`, or undefined to accept it. */
export type CheckPeer = (from: NodeId, socket: Duplex) => string | undefined;

/** What {@link refuseReason} checks a Hello against. */
export interface HandshakeSelf {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** The transport's identity check of the peer (see `identityRefusal`), run last; absent without identities. */
  readonly checkPeer?: CheckPeer | undefined;
}

/**
 * Why a listener refuses `h` arriving on `socket`, or null to accept. A wrong receiver id typically means a node
 * restarted with another id on the same address; the dialer must not deliver that node messages meant for the
 * old one. `checkPeer` runs only after the protocol's checks passed, so it sees a valid sender id; if it throws,
 * the connection is refused with the error's message.
 */
export function refuseReason(h: Hello, self: HandshakeSelf, socket?: Duplex): string | null {
  if (h.version !== PROTOCOL_VERSION) {
    return `raft: protocol version ${h.version} is not supported (this node speaks ${PROTOCOL_VERSION})`;
  }
  if (h.clusterId !== self.clusterId) {
    return `raft: cluster id "${h.clusterId}" does not match this node's cluster "${self.clusterId}"`;
  }
  if (h.to !== self.nodeId) return `raft: this address is node ${self.nodeId}, not node ${h.to}`;
  if (h.from === 0 || h.from === self.nodeId) return `raft: invalid sender id ${h.from}`;
  if (self.checkPeer && socket) {
    try {
      return self.checkPeer(h.from, socket) ?? null;
    } catch (err) {
      return `raft: peer check failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return null;
}
