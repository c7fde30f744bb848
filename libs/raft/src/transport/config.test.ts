import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RaftConfigError } from "../errors.js";
import { resolveConfig } from "./config.js";

const base = { nodeId: 1, clusterId: "c1", host: "127.0.0.1", port: 0 };

describe("resolveConfig", () => {
  it("limits frames to 1 KiB before the handshake and snapshots to 1 GiB by default", () => {
    const c = resolveConfig(base);
    assert.equal(c.maxHandshakeFrameBytes, 1024);
    assert.equal(c.maxFrameBytes, 16 * 1024 * 1024);
    assert.equal(c.maxSnapshotBytes, 1024 ** 3);
  });

  const refused = [
    {
      name: "a handshake limit of 0",
      options: { maxHandshakeFrameBytes: 0 },
      error: /maxHandshakeFrameBytes must be > 0/,
    },
    {
      name: "a cluster id too long for a Hello and its refusal to fit the handshake limit",
      options: { clusterId: "c".repeat(449) },
      error: /clusterId is 449 bytes, too long for maxHandshakeFrameBytes \(1024\): use a cluster id of at most 448/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}, naming the option`, () => {
      assert.throws(
        () => resolveConfig({ ...base, ...c.options }),
        (err) => err instanceof RaftConfigError && c.error.test(err.message),
      );
    });
  }

  it("accepts the longest cluster id that fits, and a longer one with a raised limit", () => {
    assert.equal(resolveConfig({ ...base, clusterId: "c".repeat(448) }).clusterId.length, 448);
    assert.equal(
      resolveConfig({ ...base, clusterId: "c".repeat(449), maxHandshakeFrameBytes: 2048 }).clusterId.length,
      449,
    );
  });
});
