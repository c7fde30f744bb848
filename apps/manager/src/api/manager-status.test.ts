import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "@shoal/api";
import { withManagerStatus } from "./manager-status.js";
import type { Managers, RaftView } from "./raft-view.js";

const node = (id: string, role: "manager" | "worker", addr: string): Node => ({
  id,
  version: 1,
  createdAt: "2026-12-07T00:00:00.000Z",
  updatedAt: "2026-12-07T00:00:00.000Z",
  spec: { role, availability: "active", labels: {} },
  description: {
    hostname: id,
    platform: { os: "linux", architecture: "x86_64" },
    resources: { cpus: 1, memoryBytes: 1 << 30 },
    engine: { version: "0", labels: {} },
  },
  status: { state: "ready", message: "", addr },
});
const managers: Managers = [
  { raftId: 1, apiAddr: "10.0.0.1:7070", natsUrl: "nats://10.0.0.1:4222", raftAddr: "10.0.0.1:7946" },
  { raftId: 2, apiAddr: "10.0.0.2:7070", natsUrl: "nats://10.0.0.2:4222", raftAddr: "10.0.0.2:7946" },
  { raftId: 3, apiAddr: "[fd00::3]:7070", natsUrl: "nats://[fd00::3]:4222", raftAddr: "[fd00::3]:7946" },
];
const view = (leaderId: number, reachable: number[]): RaftView => ({
  id: 1,
  leaderId,
  term: 2,
  commitIndex: 5,
  lastIndex: 5,
  voters: [1, 2, 3],
  learners: [],
  reachable: new Set(reachable),
  noQuorum: false,
});

test("a manager node shows Leader or Reachable or Unreachable from the Raft view, by its address", () => {
  const v = view(1, [1, 3]);
  assert.deepEqual(withManagerStatus(node("a", "manager", "10.0.0.1"), managers, v).managerStatus, {
    leader: true,
    reachability: "reachable",
    addr: "10.0.0.1:7070",
  });
  assert.deepEqual(withManagerStatus(node("b", "manager", "10.0.0.2"), managers, v).managerStatus, {
    leader: false,
    reachability: "unreachable",
    addr: "10.0.0.2:7070",
  });
  assert.deepEqual(withManagerStatus(node("c", "manager", "fd00::3"), managers, v).managerStatus, {
    leader: false,
    reachability: "reachable",
    addr: "[fd00::3]:7070",
  });
});

test("a worker has no manager status; a manager node Raft does not list is unknown", () => {
  const v = view(1, [1]);
  assert.equal(withManagerStatus(node("w", "worker", "10.0.0.1"), managers, v).managerStatus, undefined);
  assert.deepEqual(withManagerStatus(node("m", "manager", "10.0.0.9"), managers, v).managerStatus, {
    leader: false,
    reachability: "unknown",
    addr: "",
  });
});
