import type { Duplex } from "node:stream";
import { decodeMessage } from "../codec/codec.js";
import { type Message, type NodeId, MessageType, isLocalMessage } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { FrameConnection } from "./frame-connection.js";
import { type Frame, FrameType, encodeReply } from "./frame.js";
import { type CheckPeer, type Hello, decodeHello, refuseReason } from "./handshake.js";
import { SnapshotAssembler } from "./snapshot-assembler.js";
import type { TransportLog } from "./transport.js";

/** What the listening side of a connection needs from its transport. */
export interface InboundContext {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  readonly maxFrameBytes: number;
  /** Largest frame accepted before the Hello is accepted (the Hello itself included). */
  readonly maxHandshakeFrameBytes: number;
  readonly maxSnapshotBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly log: TransportLog;
  /** The transport's identity check of the peer, after the Hello's own checks (see `refuseReason`). */
  readonly checkPeer?: CheckPeer | undefined;
  /** Hands a validated message to the driver. */
  deliver(m: Message): void;
  /** Hears each Hello accepted, before any later frame is read (the transport tracks connections by member). */
  accepted?(from: NodeId): void;
}

/**
 * Serves one accepted connection: expects a Hello within the handshake timeout, refuses (reply, then close)
 * a wrong cluster, receiver or version, then receives either Raft messages ("stream") or one snapshot
 * ("snapshot", acked before delivery). Inbound connections never carry this node's own outgoing traffic.
 * Until the Hello is accepted, a frame longer than `maxHandshakeFrameBytes` closes the connection before any
 * buffer is allocated for it; `maxFrameBytes` applies after.
 */
export function serveInbound(socket: Duplex, ctx: InboundContext): FrameConnection {
  const remote = "remoteAddress" in socket ? String(socket.remoteAddress) : "unknown";
  const conn = new FrameConnection(socket, {
    maxFrameBytes: Math.min(ctx.maxHandshakeFrameBytes, ctx.maxFrameBytes),
    log: ctx.log,
    fields: { remote, direction: "inbound" },
  });
  const timer = setTimeout(() => {
    ctx.log("warn", "raft: no handshake from inbound connection", { remote, timeoutMs: ctx.handshakeTimeoutMs });
    conn.close("raft: handshake timed out");
  }, ctx.handshakeTimeoutMs);
  conn.onClose = () => clearTimeout(timer);
  conn.onFrame = (frame) => {
    if (frame.type !== FrameType.Hello) {
      throw new RaftCorruptionError(`raft: expected a handshake, got frame type ${frame.type}`);
    }
    clearTimeout(timer);
    const hello = decodeHello(frame.payload);
    const reason = refuseReason(hello, ctx, socket);
    if (reason !== null) {
      ctx.log("warn", "raft: refused inbound connection", { remote, from: hello.from, to: hello.to, reason });
      // The dialer accepts at most maxHandshakeFrameBytes before an accepting reply: keep the reason within it.
      const told = clip(reason, Math.min(ctx.maxHandshakeFrameBytes, ctx.maxFrameBytes) - 16);
      conn.end(encodeReply(FrameType.HelloReply, { ok: false, reason: told }), reason);
      return;
    }
    conn.write(encodeReply(FrameType.HelloReply, { ok: true, reason: "" }));
    ctx.accepted?.(hello.from);
    conn.setMaxFrameBytes(ctx.maxFrameBytes);
    conn.onFrame = hello.channel === "stream" ? streamReceiver(hello, ctx) : snapshotReceiver(hello, ctx, conn);
  };
  return conn;
}

/** `text` cut to at most `maxBytes` bytes of UTF-8 (on a character boundary). */
function clip(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  return new TextDecoder().decode(bytes.subarray(0, Math.max(0, maxBytes - 3))).replace(/\uFFFD$/, "") + "...";
}

/** Why a message that passed the handshake must still be dropped, or null. */
function misfit(m: Message, hello: Hello, self: NodeId): string | null {
  if (m.to !== self) return `addressed to node ${m.to}`;
  if (m.from !== hello.from) return `claims sender ${m.from} on a connection from node ${hello.from}`;
  if (isLocalMessage(m.type)) return `local message type ${m.type} received over the network`;
  return null;
}

function streamReceiver(hello: Hello, ctx: InboundContext): (frame: Frame) => void {
  return (frame) => {
    if (frame.type !== FrameType.Message) {
      throw new RaftCorruptionError(`raft: unexpected frame type ${frame.type} on a stream connection`);
    }
    const m = decodeMessage(frame.payload);
    const problem = m.type === MessageType.Snap ? "snapshot on the stream channel" : misfit(m, hello, ctx.nodeId);
    if (problem !== null) {
      ctx.log("warn", "raft: dropped inbound message", { from: hello.from, type: m.type, reason: problem });
      return;
    }
    ctx.deliver(m);
  };
}

function snapshotReceiver(hello: Hello, ctx: InboundContext, conn: FrameConnection): (frame: Frame) => void {
  const assembler = new SnapshotAssembler(ctx.maxSnapshotBytes);
  const refuse = (reason: string): void => {
    ctx.log("warn", "raft: snapshot receive failed", { from: hello.from, reason });
    conn.end(encodeReply(FrameType.SnapAck, { ok: false, reason }), reason);
  };
  return (frame) => {
    let m: Message | null;
    try {
      m = assembler.push(frame);
    } catch (err) {
      refuse(err instanceof Error ? err.message : String(err));
      return;
    }
    const announced = assembler.announced;
    const problem = announced && misfit(announced, hello, ctx.nodeId);
    if (problem) {
      refuse(`raft: snapshot ${problem}`);
      return;
    }
    if (m === null) return;
    // The ack goes out BEFORE delivery: the sender's status and the driver's step happen in either order.
    conn.end(encodeReply(FrameType.SnapAck, { ok: true, reason: "" }), "raft: snapshot received");
    ctx.log("info", "raft: snapshot received", { from: hello.from, bytes: m.snapshot?.data.byteLength ?? 0 });
    ctx.deliver(m);
  };
}
