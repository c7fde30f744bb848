import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../codec/bytes.js";
import { RaftCorruptionError } from "../errors.js";
import { decodeMemberContext, encodeMemberContext } from "./member.js";
import { decodeEnvelope, encodeEnvelope } from "./snapshot-envelope.js";

describe("member context", () => {
  const table: [string, { address: string; nodeId?: string | undefined }][] = [
    ["with a node id", { address: "10.0.0.5:7071", nodeId: "k3v9x2" }],
    ["without one", { address: "10.0.0.5:7071", nodeId: undefined }],
    ["an IPv6 address and a long id", { address: "[fd00::5]:7071", nodeId: "n".repeat(300) }],
  ];
  for (const [name, m] of table) {
    test(`round-trips a member ${name}`, () => {
      assert.deepEqual(decodeMemberContext(encodeMemberContext(m)), { nodeId: undefined, ...m });
    });
  }

  test("reads an earlier version's plain-address context as a member without identity", () => {
    assert.deepEqual(decodeMemberContext(Buffer.from("10.0.0.5:7071", "utf8")), {
      address: "10.0.0.5:7071",
      nodeId: undefined,
    });
    assert.deepEqual(decodeMemberContext(new Uint8Array(0)), { address: "", nodeId: undefined });
  });

  test("refuses a versioned context of an unknown version or with trailing bytes", () => {
    assert.throws(() => decodeMemberContext(new Uint8Array([0, 9, 0])), RaftCorruptionError);
    const trailing = new ByteWriter().u8(0).u8(1).bytes(Buffer.from("a:1")).u8(0).u8(7).finish();
    assert.throws(() => decodeMemberContext(trailing), RaftCorruptionError);
  });
});

describe("snapshot envelope", () => {
  test("records each member's address and node id", () => {
    const members = new Map([
      [1, { address: "a:1", nodeId: "n1" }],
      [2, { address: "b:1", nodeId: undefined }],
    ]);
    const app = Uint8Array.from([1, 2, 3]);
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ members, app })), { members, app });
  });

  test("reads a version 1 envelope (addresses only) as members without identity", () => {
    const v1 = new ByteWriter().u8(1).uvarint(2);
    v1.uvarint(1).bytes(Buffer.from("a:1")).uvarint(3).bytes(Buffer.from("c:1"));
    v1.bytes(Uint8Array.from([9]));
    const env = decodeEnvelope(v1.finish());
    assert.deepEqual(
      [...env.members],
      [
        [1, { address: "a:1", nodeId: undefined }],
        [3, { address: "c:1", nodeId: undefined }],
      ],
    );
    assert.deepEqual(env.app, Uint8Array.from([9]));
  });

  test("refuses an envelope of an unknown version", () => {
    assert.throws(() => decodeEnvelope(Uint8Array.from([3, 0, 0])), /version 3/);
  });
});
