import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { RaftCorruptionError } from "../errors.js";
import { type Frame, FrameDecoder, FrameType, encodeFrame } from "./frame.js";
import { SnapshotAssembler } from "./snapshot-assembler.js";
import { encodeSnapEnd, encodeSnapHeader } from "./snapshot-wire.js";
import { heartbeat, randomBytes, snapMessage } from "./test-support.js";

const decode = (bytes: Uint8Array): Frame => {
  const [frame] = new FrameDecoder().push(bytes);
  assert.ok(frame);
  return frame;
};

/** The frames a sender produces for `data`, with the trailer's fields overridable to simulate corruption. */
function transfer(data: Uint8Array, trailer: { totalBytes?: number; crc?: number } = {}): Frame[] {
  const frames = [decode(encodeSnapHeader(snapMessage(1, 2, data), data.byteLength))];
  for (let off = 0; off < data.byteLength; off += 1000) {
    frames.push(decode(encodeFrame(FrameType.SnapChunk, data.subarray(off, off + 1000))));
  }
  const end = { totalBytes: data.byteLength, crc: crc32(data), ...trailer };
  frames.push(decode(encodeSnapEnd(end)));
  return frames;
}

function assemble(frames: readonly Frame[], maxBytes = 1 << 20): unknown {
  const asm = new SnapshotAssembler(maxBytes);
  let out = null;
  for (const f of frames) out = asm.push(f);
  return out;
}

describe("SnapshotAssembler", () => {
  const data = randomBytes(4500, 5);

  it("reassembles the MsgSnap once length and CRC check out", () => {
    assert.deepEqual(assemble(transfer(data)), snapMessage(1, 2, data));
    assert.deepEqual(assemble(transfer(new Uint8Array(0))), snapMessage(1, 2, new Uint8Array(0)));
  });

  const bad: { name: string; frames: () => Frame[]; error: RegExp; max?: number }[] = [
    { name: "a CRC mismatch", frames: () => transfer(data, { crc: 1 }), error: /CRC mismatch/ },
    { name: "a trailer length mismatch", frames: () => transfer(data, { totalBytes: 4499 }), error: /length mismatch/ },
    { name: "a missing chunk", frames: () => transfer(data).filter((_, i) => i !== 2), error: /length mismatch/ },
    { name: "a chunk before the header", frames: () => transfer(data).slice(1), error: /before the header/ },
    { name: "a snapshot above the limit", frames: () => transfer(data), error: /exceeds the limit/, max: 4000 },
    {
      name: "a header that is not a MsgSnap",
      frames: () => [decode(encodeSnapHeader(heartbeat(1, 2, 0), 0))],
      error: /not a MsgSnap/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => assemble(c.frames(), c.max),
        (err) => err instanceof RaftCorruptionError && c.error.test(err.message),
      );
    });
  }
});
