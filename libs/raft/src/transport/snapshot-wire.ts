import { ByteReader } from "../codec/bytes.js";
import { readMessage, writeMessage } from "../codec/codec.js";
import { type Message, MessageType } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { FrameType, encodeFrameWith } from "./frame.js";

/**
 * Frames of the snapshot channel, after the handshake:
 * - SnapHeader: `uvarint totalBytes | message` (the MsgSnap with its snapshot data emptied);
 * - SnapChunk*: raw slices of the data, in order;
 * - SnapEnd: `uvarint totalBytes | u32 LE crc32(data)`;
 * then the listener answers with a SnapAck reply.
 */

const EMPTY = new Uint8Array(0);

/** Encodes the SnapHeader frame of `m`, which must be a MsgSnap carrying a snapshot. */
export function encodeSnapHeader(m: Message, totalBytes: number): Uint8Array {
  const snapshot = m.snapshot ? { meta: m.snapshot.meta, data: EMPTY } : null;
  return encodeFrameWith(FrameType.SnapHeader, 128 + m.context.byteLength, (w) => {
    w.uvarint(totalBytes);
    writeMessage(w, { ...m, snapshot });
  });
}

/** Decodes a SnapHeader payload; throws {@link RaftCorruptionError} unless it holds a MsgSnap with a snapshot. */
export function decodeSnapHeader(payload: Uint8Array): { message: Message; totalBytes: number } {
  const r = new ByteReader(payload);
  const totalBytes = r.uvarint();
  const message = readMessage(r);
  r.end();
  if (message.type !== MessageType.Snap || message.snapshot === null) {
    throw new RaftCorruptionError(`raft: snapshot header carries a message of type ${message.type}, not a MsgSnap`);
  }
  return { message, totalBytes };
}

/** The trailer of a snapshot transfer. */
export interface SnapEnd {
  readonly totalBytes: number;
  /** CRC-32 (zlib's) of the whole data. */
  readonly crc: number;
}

/** Encodes the SnapEnd frame. */
export function encodeSnapEnd(end: SnapEnd): Uint8Array {
  return encodeFrameWith(FrameType.SnapEnd, 16, (w) =>
    w
      .uvarint(end.totalBytes)
      .u8(end.crc & 0xff)
      .u8((end.crc >>> 8) & 0xff)
      .u8((end.crc >>> 16) & 0xff)
      .u8((end.crc >>> 24) & 0xff),
  );
}

/** Decodes a SnapEnd payload. */
export function decodeSnapEnd(payload: Uint8Array): SnapEnd {
  const r = new ByteReader(payload);
  const totalBytes = r.uvarint();
  const crc = (r.u8() | (r.u8() << 8) | (r.u8() << 16) | (r.u8() << 24)) >>> 0;
  r.end();
  return { totalBytes, crc };
}
