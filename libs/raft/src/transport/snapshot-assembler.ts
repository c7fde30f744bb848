import { crc32 } from "node:zlib";
import type { Message } from "../core/types.js";
import { RaftCorruptionError, SnapshotTooLargeError } from "../errors.js";
import { FrameType, type Frame } from "./frame.js";
import { decodeSnapEnd, decodeSnapHeader } from "./snapshot-wire.js";

/** Default largest snapshot data a node accepts from a peer: 1 GiB. */
export const DEFAULT_MAX_SNAPSHOT_BYTES = 1024 ** 3;

/** Default bound on how far the buffer may grow ahead of the data received: 64 MiB. */
export const DEFAULT_SNAPSHOT_GROW_AHEAD_BYTES = 64 * 1024 * 1024;

/**
 * Reassembles one snapshot from the frames of a snapshot channel (see snapshot-wire.ts). Pure: feed it frames,
 * it returns the whole MsgSnap once the trailer's length and CRC check out. It throws
 * {@link SnapshotTooLargeError} for a header announcing more than `maxBytes`, and {@link RaftCorruptionError}
 * on anything out of order or corrupt.
 *
 * The buffer grows with the data received (doubling, at most `growAheadBytes` ahead of it, never past the
 * announced size), so a peer that announces a large snapshot and sends little costs little memory.
 */
export class SnapshotAssembler {
  private message: Message | null = null;
  private totalBytes = 0;
  private data = new Uint8Array(0);
  private received = 0;
  private done = false;

  /**
   * @param maxBytes the largest snapshot data accepted (default 1 GiB).
   * @param growAheadBytes how far beyond the data received the buffer may grow in one step (default 64 MiB).
   */
  constructor(
    private readonly maxBytes = DEFAULT_MAX_SNAPSHOT_BYTES,
    private readonly growAheadBytes = DEFAULT_SNAPSHOT_GROW_AHEAD_BYTES,
  ) {}

  /** Bytes currently allocated for the snapshot data (for tests and metrics). */
  get bufferedBytes(): number {
    return this.data.byteLength;
  }

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
    if (totalBytes > this.maxBytes) throw new SnapshotTooLargeError(totalBytes, this.maxBytes);
    this.message = message;
    this.totalBytes = totalBytes;
  }

  private chunk(payload: Uint8Array): void {
    if (!this.message) throw new RaftCorruptionError("raft: snapshot chunk before the header");
    const needed = this.received + payload.byteLength;
    if (needed > this.totalBytes) {
      throw new RaftCorruptionError(`raft: snapshot data longer than the ${this.totalBytes} bytes announced`);
    }
    if (needed > this.data.byteLength) this.grow(needed);
    this.data.set(payload, this.received);
    this.received = needed;
  }

  /** Replaces the buffer by a larger one holding at least `needed` bytes; invariant: received <= capacity <= total. */
  private grow(needed: number): void {
    const doubled = Math.min(2 * this.data.byteLength, needed + this.growAheadBytes);
    const next = new Uint8Array(Math.min(this.totalBytes, Math.max(needed, doubled)));
    next.set(this.data.subarray(0, this.received));
    this.data = next;
  }

  private end(payload: Uint8Array): Message {
    const { message } = this;
    if (!message?.snapshot) throw new RaftCorruptionError("raft: snapshot trailer before the header");
    const end = decodeSnapEnd(payload);
    if (end.totalBytes !== this.totalBytes || this.received !== this.totalBytes) {
      throw new RaftCorruptionError(
        `raft: snapshot length mismatch: announced ${this.totalBytes}, received ${this.received}, ` +
          `trailer ${end.totalBytes}`,
      );
    }
    // Every chunk fit, so the buffer is exactly the announced size (an empty snapshot never grew it).
    const data = this.data.byteLength === this.received ? this.data : this.data.slice(0, this.received);
    const crc = crc32(data);
    if (crc !== end.crc) {
      throw new RaftCorruptionError(`raft: snapshot CRC mismatch: computed ${crc}, trailer ${end.crc}`);
    }
    this.done = true;
    return { ...message, snapshot: { meta: message.snapshot.meta, data } };
  }
}
