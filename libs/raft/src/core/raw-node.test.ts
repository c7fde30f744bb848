import assert from "node:assert/strict";
import { test } from "node:test";
import { MemCluster, seededRandom } from "../testing/mem-cluster.js";
import { NotLeaderError } from "../errors.js";
import { EntryType, MessageType, Role } from "./types.js";

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
  assert.throws(
    () => c.get(2).node.propose(enc.encode("x")),
    (e: unknown) => e instanceof NotLeaderError && e.leaderHint === 1,
  );
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

test("a leader's messages may go out before its write, and it counts itself only once the write is done", () => {
  const c = new MemCluster([1, 2, 3, 4, 5], { random: seededRandom(7) });
  c.stabilize();
  c.get(1).node.campaign();
  // Through the election, only a leader's batches may send early: votes wait for the persisted term and vote.
  for (let moved = true; moved;) {
    moved = false;
    for (const n of c.nodes.values()) {
      if (!n.node.hasReady()) continue;
      const rd = n.node.ready();
      const before = n.storage.initialState().hardState;
      const sameTermAndVote = !rd.hardState || (rd.hardState.term === before.term && rd.hardState.vote === before.vote);
      assert.equal(rd.earlyMessages, n.node.raft.role === Role.Leader && sameTermAndVote, `node ${n.id}`);
      if (rd.messages.some((m) => m.type === MessageType.Vote || m.type === MessageType.VoteResp)) {
        assert.equal(rd.earlyMessages, false, "votes and vote requests wait for the disk");
      }
      for (const m of n.handleReadyFrom(rd)) {
        moved = true;
        c.get(m.to).node.step(m);
      }
    }
  }
  const leader = c.get(1);
  assert.equal(leader.node.raft.role, Role.Leader);

  leader.node.propose(enc.encode("x"));
  const rd = leader.node.ready();
  assert.equal(rd.earlyMessages, true, "a leader's appends need not wait for its own write");
  const index = rd.entries[0]?.index ?? assert.fail("the proposal is in the batch");
  // Only two of four followers get the append: with the leader's copy not yet durable, 2 of 5 is no quorum.
  for (const m of rd.messages.filter((m) => m.to === 2 || m.to === 3)) c.get(m.to).node.step(m);
  for (const id of [2, 3]) {
    const ack = c.get(id).node.ready();
    assert.equal(ack.earlyMessages, false, "a follower acknowledges only what it has persisted");
    for (const m of c.get(id).handleReadyFrom(ack)) leader.node.step(m);
  }
  assert.ok(leader.node.raft.log.committed < index, "not committed before the leader's own write is done");
  leader.storage.append(rd.entries);
  if (rd.hardState) leader.storage.setHardState(rd.hardState);
  leader.node.advance(rd);
  assert.equal(leader.node.raft.log.committed, index, "committed once the leader's copy is durable: 3 of 5");
});
