import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "@shoal/api";
import { checkHeartbeats } from "./node-monitor.js";

const node = (id: string, state: "ready" | "down" = "ready"): Node => ({
  id,
  version: 1,
  createdAt: "2026-11-23T10:00:00.000Z",
  updatedAt: "2026-11-23T10:00:00.000Z",
  spec: { labels: {}, role: "worker", availability: "active" },
  description: {
    hostname: id,
    platform: { os: "linux", architecture: "x86_64" },
    resources: { cpus: 2, memoryBytes: 2 ** 30 },
    engine: { version: "1", labels: {} },
  },
  status: { state, message: "", addr: "10.0.0.1" },
});

test("a ready node that missed its heartbeats is marked down; a fresh leader gives everyone a grace period", () => {
  const o = { periodMs: 1000, missed: 3, leaderSince: 0 };
  const beats = new Map([
    ["a", 10_000],
    ["b", 6_000],
  ]);
  const d = checkHeartbeats([node("a"), node("b"), node("c", "down")], beats, 10_500, o);
  assert.deepEqual(
    d.down.map((x) => x.nodeId),
    ["b"],
  );
  assert.match(d.down[0]!.message, /no heartbeat for 4\.5 s \(limit 3 s\)/);
  // A leader elected at 9 s counts b's silence from then: not down yet.
  assert.deepEqual(checkHeartbeats([node("b")], beats, 10_500, { ...o, leaderSince: 9_000 }).down, []);
  // Never heard from at all: measured from leaderSince.
  assert.deepEqual(
    checkHeartbeats([node("x")], new Map(), 12_500, { ...o, leaderSince: 9_000 }).down.map((x) => x.nodeId),
    ["x"],
  );
});
