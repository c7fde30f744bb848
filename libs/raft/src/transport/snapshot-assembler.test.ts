import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { RaftCorruptionError, SnapshotTooLargeError } from "../errors.js";
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

  it("refuses a header announcing more than the limit with a typed error, before buffering anything", () => {
    const asm = new SnapshotAssembler(4000);
    const [header] = transfer(data);
    assert.ok(header);
    assert.throws(
      () => asm.push(header),
      (err) =>
        err instanceof SnapshotTooLargeError &&
        err.code === "SHOAL_ERR_SNAPSHOT_TOO_LARGE" &&
        err.announcedBytes === 4500 &&
        err.limitBytes === 4000 &&
        /exceeds the limit of 4000 bytes \(maxSnapshotBytes\)/.test(err.message),
    );
    assert.equal(asm.bufferedBytes, 0);
  });

  it("refuses a snapshot over the default limit of 1 GiB", () => {
    const header = decode(encodeSnapHeader(snapMessage(1, 2, new Uint8Array(0)), 1024 ** 3 + 1));
    assert.throws(() => new SnapshotAssembler().push(header), SnapshotTooLargeError);
  });

  it("grows its buffer with the data received, not with the size announced", () => {
    const announced = 2 * 1024 ** 3;
    const aheadBytes = 64 * 1024;
    const asm = new SnapshotAssembler(4 * 1024 ** 3, aheadBytes);
    asm.push(decode(encodeSnapHeader(snapMessage(1, 2, new Uint8Array(0)), announced)));
    assert.equal(asm.bufferedBytes, 0, "nothing allocated for the header alone");
    const slice = randomBytes(1000, 7);
    let received = 0;
    for (let i = 0; i < 300; i++) {
      asm.push(decode(encodeFrame(FrameType.SnapChunk, slice)));
      received += slice.byteLength;
      assert.ok(asm.bufferedBytes >= received);
      assert.ok(asm.bufferedBytes <= received + aheadBytes, `buffer ${asm.bufferedBytes} for ${received} received`);
    }
  });

  it("reassembles data sent in slices of varied sizes across many growth steps", () => {
    const big = randomBytes(200_000, 11);
    const frames = [decode(encodeSnapHeader(snapMessage(1, 2, big), big.byteLength))];
    for (let off = 0, n = 1; off < big.byteLength; off += n, n = (n * 7) % 9973) {
      frames.push(decode(encodeFrame(FrameType.SnapChunk, big.subarray(off, off + n))));
    }
    frames.push(decode(encodeSnapEnd({ totalBytes: big.byteLength, crc: crc32(big) })));
    const asm = new SnapshotAssembler(1 << 20, 4096);
    let out = null;
    for (const f of frames) out = asm.push(f);
    assert.deepEqual(out, snapMessage(1, 2, big));
    assert.equal(asm.bufferedBytes, big.byteLength);
  });
});
