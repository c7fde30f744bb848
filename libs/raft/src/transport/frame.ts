import { ByteReader, ByteWriter } from "../codec/bytes.js";
import { writeMessage } from "../codec/codec.js";
import type { Message } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";

/**
 * Framing of the TCP transport. A frame is `u32 LE length | u8 type | payload`, where `length` counts the type
 * byte and the payload (so it is at least 1). Frames longer than the receiver's limit are refused.
 */

/** Kinds of frames. The handshake frames (see handshake.ts) come first on every connection. */
export enum FrameType {
  /** Dialer -> listener: who is calling whom, for which cluster, on which channel. */
  Hello = 1,
  /** Listener -> dialer: handshake accepted or rejected (with a reason). */
  HelloReply = 2,
  /** One encoded Raft message (stream channel). */
  Message = 3,
  /** Snapshot channel: the MsgSnap with empty data, preceded by the data's total length. */
  SnapHeader = 4,
  /** Snapshot channel: the next slice of the snapshot data. */
  SnapChunk = 5,
  /** Snapshot channel: total length and CRC-32 of the data; the receiver verifies and acks. */
  SnapEnd = 6,
  /** Snapshot channel, listener -> dialer: the snapshot was (or was not) received intact. */
  SnapAck = 7,
}

const MIN_FRAME_TYPE: number = FrameType.Hello;
const MAX_FRAME_TYPE: number = FrameType.SnapAck;

/** Bytes before the payload: the u32 length and the type byte. */
export const FRAME_HEADER_BYTES = 5;

/** Default limit on a frame's length field (type byte + payload): 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Default limit on a frame's length field before the peer's Hello is accepted: 1 KiB. A Hello is a few dozen
 * bytes plus the cluster id, so an unauthenticated peer cannot make the listener allocate more than this.
 */
export const DEFAULT_MAX_HANDSHAKE_FRAME_BYTES = 1024;

/** One decoded frame. `payload` may be a view into a received chunk. */
export interface Frame {
  readonly type: FrameType;
  readonly payload: Uint8Array;
}

/** Encodes one frame into a fresh buffer. */
export function encodeFrame(type: FrameType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength + 1, true);
  out[4] = type;
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Encodes a frame whose payload is written by `write`, without copying the payload a second time. */
export function encodeFrameWith(type: FrameType, sizeHint: number, write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(FRAME_HEADER_BYTES + sizeHint);
  w.raw(new Uint8Array(FRAME_HEADER_BYTES));
  write(w);
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset).setUint32(0, out.byteLength - 4, true);
  out[4] = type;
  return out;
}

/** Encodes a Raft message as a {@link FrameType.Message} frame. */
export function encodeMessageFrame(m: Message): Uint8Array {
  let size = 64 + m.context.byteLength;
  for (const e of m.entries) size += e.data.byteLength + 24;
  return encodeFrameWith(FrameType.Message, size, (w) => writeMessage(w, m));
}

/** An accept/refuse answer: the payload of {@link FrameType.HelloReply} and {@link FrameType.SnapAck}. */
export interface Reply {
  readonly ok: boolean;
  /** Why the request was refused; empty when `ok`. */
  readonly reason: string;
}

/** Encodes a reply frame: `u8 ok | bytes reason`. */
export function encodeReply(type: FrameType.HelloReply | FrameType.SnapAck, reply: Reply): Uint8Array {
  const reason = new TextEncoder().encode(reply.reason);
  return encodeFrameWith(type, reason.byteLength + 8, (w) => w.u8(reply.ok ? 1 : 0).bytes(reason));
}

/** Decodes a reply payload; throws {@link RaftCorruptionError} on malformed bytes. */
export function decodeReply(payload: Uint8Array): Reply {
  const r = new ByteReader(payload);
  const ok = r.u8();
  const reason = new TextDecoder().decode(r.bytes());
  r.end();
  if (ok > 1) throw new RaftCorruptionError(`raft: bad reply status ${ok}`);
  return { ok: ok === 1, reason };
}

/** The value of a frame's length field (what the receiver compares with its limit). */
export function frameLength(frame: Uint8Array): number {
  return frame.byteLength - 4;
}

const EMPTY = new Uint8Array(0);

/**
 * Incremental frame decoder: feed it the chunks a socket delivers, in order, and it returns the frames they
 * complete. Handles frames split across chunks and many frames packed in one chunk; a frame contained in one
 * chunk is returned as a view, a split one is reassembled in a buffer allocated once at its full size, and only
 * after its header passed the length limit. A bad length or unknown type throws {@link RaftCorruptionError};
 * the decoder is then dead, and so should be the connection.
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private bodyType = FrameType.Message;
  private failure: RaftCorruptionError | null = null;
  private allocated = 0;

  /** @param maxFrameBytes the largest length field accepted; change it later with {@link setMaxFrameBytes}. */
  constructor(private maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /**
   * Changes the length limit for the headers not parsed yet (e.g. raised once a handshake is accepted). The
   * headers of the chunk being pushed are all parsed in that push, under the limit in force when it began.
   */
  setMaxFrameBytes(limit: number): void {
    this.maxFrameBytes = limit;
  }

  /** Total bytes this decoder allocated to reassemble split frames (for tests and metrics). */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Consumes `chunk` and returns the frames it completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure) throw this.failure;
    const out: Frame[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFill, chunk.length - off);
        this.body.set(chunk.subarray(off, off + n), this.bodyFill);
        this.bodyFill += n;
        off += n;
        if (this.bodyFill === this.body.length) {
          out.push({ type: this.bodyType, payload: this.body });
          this.body = null;
        }
        continue;
      }
      let type: FrameType;
      let payloadBytes: number;
      if (this.headerFill === 0 && chunk.length - off >= FRAME_HEADER_BYTES) {
        [type, payloadBytes] = this.parseHeader(chunk, off);
        off += FRAME_HEADER_BYTES;
      } else {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - off);
        this.header.set(chunk.subarray(off, off + n), this.headerFill);
        this.headerFill += n;
        off += n;
        if (this.headerFill < FRAME_HEADER_BYTES) break;
        this.headerFill = 0;
        [type, payloadBytes] = this.parseHeader(this.header, 0);
      }
      if (chunk.length - off >= payloadBytes) {
        out.push({ type, payload: payloadBytes === 0 ? EMPTY : chunk.subarray(off, off + payloadBytes) });
        off += payloadBytes;
      } else {
        this.body = new Uint8Array(payloadBytes);
        this.allocated += payloadBytes;
        this.bodyFill = 0;
        this.bodyType = type;
      }
    }
    return out;
  }

  /** Validates a header at `b[at..]` and returns the frame type and payload length. */
  private parseHeader(b: Uint8Array, at: number): [FrameType, number] {
    const length = new DataView(b.buffer, b.byteOffset + at, FRAME_HEADER_BYTES).getUint32(0, true);
    const type = b[at + 4] ?? 0;
    if (length === 0) return this.fail("raft: frame with zero length (no type byte)");
    if (length > this.maxFrameBytes) {
      return this.fail(`raft: frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes`);
    }
    if (type < MIN_FRAME_TYPE || type > MAX_FRAME_TYPE) return this.fail(`raft: unknown frame type ${type}`);
    return [type, length - 1];
  }

  private fail(message: string): never {
    this.failure = new RaftCorruptionError(message);
    throw this.failure;
  }
}
