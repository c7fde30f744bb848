import { PassThrough, type Duplex } from "node:stream";
import { RaftCorruptionError } from "../errors.js";
import type { HostPort } from "./address.js";
import { FrameConnection } from "./frame-connection.js";
import { FrameType, decodeReply } from "./frame.js";
import { type Hello, encodeHello } from "./handshake.js";
import type { SocketFactory } from "./socket-factory.js";
import type { TransportLog } from "./transport.js";

/** What {@link dial} needs. */
export interface DialOptions {
  readonly sockets: SocketFactory;
  readonly target: HostPort;
  readonly hello: Omit<Hello, "version">;
  /** The identity the membership records for `hello.to`, which an authenticating factory requires of the server. */
  readonly peerNodeId: string | undefined;
  readonly maxFrameBytes: number;
  /** Largest frame accepted before the listener's accepting HelloReply. */
  readonly maxHandshakeFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly log: TransportLog;
}

/**
 * Opens a connection and sends the handshake. `done(null)` runs once the listener accepted, from inside the
 * frame callback, so the caller can install its own `onFrame`/`onClose` before any later frame is read;
 * `done(reason)` runs on refusal, timeout or connection failure (the connection is closed by then).
 * The connection is returned at once so that the caller can cancel with `close()`; `done` still runs then.
 * Until the reply accepts, frames are limited to `maxHandshakeFrameBytes` (the listener is not trusted yet).
 */
export function dial(options: DialOptions, done: (failure: string | null) => void): FrameConnection {
  const { target, hello } = options;
  let socket: Duplex;
  try {
    socket = options.sockets.connect(target.host, target.port, { raftId: hello.to, nodeId: options.peerNodeId });
  } catch (err) {
    // A synchronous failure (bad host) becomes an asynchronous close, like a refused connection.
    socket = new PassThrough();
    socket.destroy(err instanceof Error ? err : new Error(String(err)));
  }
  const conn = new FrameConnection(socket, {
    maxFrameBytes: Math.min(options.maxHandshakeFrameBytes, options.maxFrameBytes),
    log: options.log,
    fields: { peer: hello.to, channel: hello.channel, address: `${target.host}:${target.port}` },
  });
  let settled = false;
  const settle = (failure: string | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (failure !== null) conn.close(failure);
    done(failure);
  };
  const timer = setTimeout(
    () => settle(`raft: handshake timed out after ${options.handshakeTimeoutMs} ms`),
    options.handshakeTimeoutMs,
  );
  conn.onClose = settle;
  conn.onFrame = (frame) => {
    if (frame.type !== FrameType.HelloReply) {
      throw new RaftCorruptionError(`raft: expected a handshake reply, got frame type ${frame.type}`);
    }
    const reply = decodeReply(frame.payload);
    if (!reply.ok) options.log("warn", "raft: peer refused the handshake", { peer: hello.to, reason: reply.reason });
    conn.onFrame = (f) => {
      throw new RaftCorruptionError(`raft: unexpected frame type ${f.type}`);
    };
    if (reply.ok) conn.setMaxFrameBytes(options.maxFrameBytes);
    settle(reply.ok ? null : `raft: peer refused the handshake: ${reply.reason}`);
  };
  conn.write(encodeHello(hello));
  return conn;
}
