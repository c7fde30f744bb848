import assert from "node:assert/strict";
import { test } from "node:test";
import { MemCluster, seededRandom } from "../testing/mem-cluster.js";
import { NotLeaderError } from "../errors.js";
import { EntryType, Role } from "./types.js";

const enc = new TextEncoder();
const data = (e: { data: Uint8Array }): string => new TextDecoder().decode(e.data);

test("three nodes elect one leader and replicate proposals to all", () => {
  const c = new MemCluster([1, 2, 3], { random: seededRandom(1) });
  c.stabilize();
  c.get(1).node.campaign();
  c.stabilize();
  assert.equal(c.get(1).node.raft.role, Role.Leader);
  assert.equal(c.get(2).node.raft.lead, 1);
  c.get(1).node.propose(enc.encode("a"));
  c.get(1).node.propose(enc.encode("b"));
  c.stabilize();
  for (const n of c.nodes.values()) {
    const app = n.applied.filter((e) => e.data.length > 0 && e.type === EntryType.Normal).map(data);
    assert.deepEqual(app, ["a", "b"], `node ${n.id}`);
  }
});

test("a follower refuses proposals with a leader hint when forwarding is off", () => {
  const c = new MemCluster([1, 2, 3], { random: seededRandom(2), disableProposalForwarding: true });
  c.stabilize();
  c.get(1).node.campaign();
  c.stabilize();
  assert.throws(() => c.get(2).node.propose(enc.encode("x")), (e: unknown) => e instanceof NotLeaderError && e.leaderHint === 1);
});

test("ticks alone elect a leader, and a new leader is elected when it is isolated", () => {
  const c = new MemCluster([1, 2, 3], { random: seededRandom(3) });
  for (let i = 0; i < 50 && !c.leader(); i++) {
    for (const n of c.nodes.values()) n.node.tick();
    c.stabilize();
  }
  const first = c.leader();
  assert.ok(first, "a leader after ticks");
  c.isolate(first.id);
  for (let i = 0; i < 60; i++) {
    for (const n of c.nodes.values()) n.node.tick();
    c.stabilize();
  }
  const others = [...c.nodes.values()].filter((n) => n.id !== first.id && n.node.raft.role === Role.Leader);
  assert.equal(others.length, 1, "exactly one new leader among the majority");
  assert.notEqual(first.node.raft.role, Role.Leader, "isolated leader stepped down by check-quorum");
});

test("linearizable read index on the leader after its no-op commits", () => {
  const c = new MemCluster([1, 2, 3], { random: seededRandom(4) });
  c.stabilize();
  c.get(1).node.campaign();
  c.stabilize();
  c.get(1).node.propose(enc.encode("v"));
  c.stabilize();
  c.get(2).node.readIndex(enc.encode("r1"));
  c.stabilize();
  const rs = c.get(2).readStates;
  assert.equal(rs.length, 1);
  assert.equal(rs[0]?.index, c.get(1).node.raft.log.committed);
});
