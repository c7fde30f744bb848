import { crc32 } from "node:zlib";
import type { Message, NodeId } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import type { HostPort } from "./address.js";
import type { TransportConfig } from "./config.js";
import { dial } from "./dial.js";
import type { FrameConnection } from "./frame-connection.js";
import { FrameType, decodeReply, encodeFrame } from "./frame.js";
import { encodeSnapEnd, encodeSnapHeader } from "./snapshot-wire.js";

/**
 * Sends one MsgSnap to one peer over its own "snapshot" connection, so that the stream connection keeps
 * carrying heartbeats and appends meanwhile. The data goes out in chunks, respecting backpressure, with the
 * CRC computed as it goes; success means the receiver acked a verified snapshot.
 */
export class SnapshotSender {
  private conn: FrameConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private finish: (failure: string | null) => void = () => {};

  constructor(
    private readonly config: TransportConfig,
    readonly peer: NodeId,
    private readonly target: HostPort,
    private readonly peerNodeId: string | undefined,
    private readonly message: Message,
  ) {}

  /** Runs the transfer. Resolves true once acked, false on any failure, timeout or cancel; never rejects. */
  run(): Promise<boolean> {
    const c = this.config;
    const data = this.message.snapshot?.data ?? new Uint8Array(0);
    return new Promise<boolean>((resolve) => {
      let finished = false;
      this.finish = (failure) => {
        if (finished) return;
        finished = true;
        if (this.timer) clearTimeout(this.timer);
        this.conn?.close(failure ?? "raft: snapshot sent");
        if (failure === null) {
          c.log("info", "raft: snapshot sent", { peer: this.peer, bytes: data.byteLength });
        } else {
          c.log("warn", "raft: snapshot send failed", { peer: this.peer, bytes: data.byteLength, reason: failure });
        }
        resolve(failure === null);
      };
      this.timer = setTimeout(
        () => this.finish(`raft: snapshot send timed out after ${c.snapshotTimeoutMs} ms`),
        c.snapshotTimeoutMs,
      );
      const conn = dial(
        {
          sockets: c.sockets,
          target: this.target,
          hello: { clusterId: c.clusterId, from: c.nodeId, to: this.peer, channel: "snapshot" },
          peerNodeId: this.peerNodeId,
          maxFrameBytes: c.maxFrameBytes,
          maxHandshakeFrameBytes: c.maxHandshakeFrameBytes,
          handshakeTimeoutMs: c.handshakeTimeoutMs,
          log: c.log,
        },
        (failure) => {
          if (failure !== null) {
            this.finish(failure);
            return;
          }
          conn.onClose = (reason) => this.finish(`raft: snapshot connection lost before the ack: ${reason}`);
          conn.onFrame = (frame) => {
            if (frame.type !== FrameType.SnapAck) {
              throw new RaftCorruptionError(`raft: expected a snapshot ack, got frame type ${frame.type}`);
            }
            const reply = decodeReply(frame.payload);
            this.finish(reply.ok ? null : `raft: peer refused the snapshot: ${reply.reason}`);
          };
          conn.write(encodeSnapHeader(this.message, data.byteLength));
          this.pump(conn, data, 0, 0);
        },
      );
      this.conn = conn;
    });
  }

  /** Aborts the transfer; `run()` resolves false. */
  cancel(reason: string): void {
    this.finish(reason);
  }

  /** Writes chunks from `offset` until the socket pushes back, then resumes on 'drain'; ends with the trailer. */
  private pump(conn: FrameConnection, data: Uint8Array, offset: number, crc: number): void {
    const step = this.config.snapshotChunkBytes;
    while (offset < data.byteLength) {
      if (conn.isClosed) return;
      const chunk = data.subarray(offset, offset + step);
      offset += chunk.byteLength;
      crc = crc32(chunk, crc);
      if (!conn.write(encodeFrame(FrameType.SnapChunk, chunk))) {
        const next = offset;
        const nextCrc = crc;
        conn.whenDrained(() => this.pump(conn, data, next, nextCrc));
        return;
      }
    }
    conn.write(encodeSnapEnd({ totalBytes: data.byteLength, crc }));
  }
}
