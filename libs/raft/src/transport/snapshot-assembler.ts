import { crc32 } from "node:zlib";
import type { Message } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { FrameType, type Frame } from "./frame.js";
import { decodeSnapEnd, decodeSnapHeader } from "./snapshot-wire.js";

/**
 * Reassembles one snapshot from the frames of a snapshot channel (see snapshot-wire.ts). Pure: feed it frames,
 * it returns the whole MsgSnap once the trailer's length and CRC check out, and throws
 * {@link RaftCorruptionError} on anything out of order, oversized or corrupt.
 */
export class SnapshotAssembler {
  private message: Message | null = null;
  private data: Uint8Array | null = null;
  private received = 0;
  private done = false;

  /** @param maxBytes the largest snapshot data this node accepts (the buffer is allocated up front). */
  constructor(private readonly maxBytes: number) {}

  /** The MsgSnap announced by the header (data still empty), once the header arrived. */
  get announced(): Message | null {
    return this.message;
  }

  /** Consumes one frame; returns the complete message after the trailer, null before. */
  push(frame: Frame): Message | null {
    if (this.done) throw new RaftCorruptionError("raft: frame after the end of a snapshot");
    switch (frame.type) {
      case FrameType.SnapHeader:
        this.header(frame.payload);
        return null;
      case FrameType.SnapChunk:
        this.chunk(frame.payload);
        return null;
      case FrameType.SnapEnd:
        return this.end(frame.payload);
      case FrameType.Hello:
      case FrameType.HelloReply:
      case FrameType.Message:
      case FrameType.SnapAck:
        throw new RaftCorruptionError(`raft: unexpected frame type ${frame.type} on a snapshot connection`);
    }
  }

  private header(payload: Uint8Array): void {
    if (this.message) throw new RaftCorruptionError("raft: second snapshot header on one connection");
    const { message, totalBytes } = decodeSnapHeader(payload);
    if (totalBytes > this.maxBytes) {
      throw new RaftCorruptionError(`raft: snapshot of ${totalBytes} bytes exceeds the limit of ${this.maxBytes}`);
    }
    this.message = message;
    this.data = new Uint8Array(totalBytes);
  }

  private chunk(payload: Uint8Array): void {
    if (!this.data) throw new RaftCorruptionError("raft: snapshot chunk before the header");
    if (this.received + payload.byteLength > this.data.byteLength) {
      throw new RaftCorruptionError(`raft: snapshot data longer than the ${this.data.byteLength} bytes announced`);
    }
    this.data.set(payload, this.received);
    this.received += payload.byteLength;
  }

  private end(payload: Uint8Array): Message {
    const { message, data } = this;
    if (!message?.snapshot || !data) throw new RaftCorruptionError("raft: snapshot trailer before the header");
    const end = decodeSnapEnd(payload);
    if (end.totalBytes !== data.byteLength || this.received !== data.byteLength) {
      throw new RaftCorruptionError(
        `raft: snapshot length mismatch: announced ${data.byteLength}, received ${this.received}, ` +
          `trailer ${end.totalBytes}`,
      );
    }
    const crc = crc32(data);
    if (crc !== end.crc) {
      throw new RaftCorruptionError(`raft: snapshot CRC mismatch: computed ${crc}, trailer ${end.crc}`);
    }
    this.done = true;
    return { ...message, snapshot: { meta: message.snapshot.meta, data } };
  }
}
