// RaftNode with identities on the in-memory network, the twin of mutual TLS: the membership records each
// member's node id, and a transport takes a message only from the member whose identity it records.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { NodeId } from "../core/types.js";
import type { RaftNode } from "./raft-node.js";
import { memCluster, put, waitLeader } from "./test-support.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("RaftNode with member identities", () => {
  test("members elect, replicate and add a member; the identities survive a snapshot and a restart", async () => {
    const c = memCluster([1, 2, 3], { identities: true, snapshotEntries: 20 });
    try {
      const leader = await c.startAll();
      for (let i = 0; i < 60; i++) await leader.propose(put(`k${i}`, String(i)));
      await c.start(4, false, [1, 2, 3]);
      await leader.addMember(4, { address: "memory:4", nodeId: "n4" });
      const n4 = c.nodes.get(4) as RaftNode;
      await n4.readBarrier();
      assert.equal(c.sms.get(4)?.get("k59"), "59", "caught up, by snapshot");
      const expected = [1, 2, 3, 4].map((id) => [id, { address: `memory:${id}`, nodeId: `n${id}` }]);
      assert.deepEqual(
        [...n4.status().members].sort((a, b) => a[0] - b[0]),
        expected,
      );

      // A follower restarts from its snapshot and log: the membership it loads still has every identity.
      const f = [1, 2, 3].find((id) => id !== leader.id) as NodeId;
      await c.nodes.get(f)?.stop();
      for (let i = 60; i < 90; i++) await leader.propose(put(`k${i}`, String(i)));
      const restarted = await c.start(f, false);
      await restarted.readBarrier();
      assert.equal(c.sms.get(f)?.get("k89"), "89");
      assert.deepEqual(
        [...restarted.status().members].sort((a, b) => a[0] - b[0]),
        expected,
      );
      assert.deepEqual(c.net.refusals, []);
    } finally {
      await c.stopAll();
    }
  });

  test("a node proving another member's identity gets nothing in and hears nothing", async () => {
    const c = memCluster([1, 2, 3], { identities: true });
    try {
      await c.start(1);
      await c.start(2);
      // Member 3 runs with node n1's identity (n1's certificate): both checks refuse it, both ways.
      await c.start(3, true, [], { transport: c.net.transport(3, { nodeId: "n1" }) });
      const leader = await waitLeader([c.nodes.get(1) as RaftNode, c.nodes.get(2) as RaftNode]);
      await leader.propose(put("k", "v"));
      await sleep(300);
      assert.equal(c.sms.get(3)?.get("k"), null, "the impostor applied nothing");
      const reasons = new Set(c.net.refusals.map((r) => `${r.by}: ${r.reason}`));
      assert.ok(reasons.has("receiver: raft: the peer is node n1, but member 3 is node n3"), [...reasons].join("\n"));
      assert.ok(reasons.has("sender: raft: member 3 must be node n3, but the peer proved node n1"));
      assert.ok(c.net.refusals.every((r) => r.from === 3 || r.to === 3));
      assert.ok(leader.isLeader(), "the impostor's campaigns did not unseat the leader");
    } finally {
      await c.stopAll();
    }
  });

  test("members recorded without identities (an earlier version's contexts) cannot form a cluster", async () => {
    const c = memCluster([1, 2, 3], { identities: true });
    const plain = [1, 2, 3].map((id) => ({ id, address: `memory:${id}` }));
    try {
      for (const id of [1, 2, 3]) await c.start(id, true, [], { bootstrap: plain });
      await sleep(500);
      assert.ok(
        [...c.nodes.values()].every((n) => !n.isLeader()),
        "no leader",
      );
      assert.ok(c.net.refusals.length > 0);
      assert.ok(
        c.net.refusals.every((r) =>
          /records no node identity|must be an identity the membership does not record/.test(r.reason),
        ),
      );
    } finally {
      await c.stopAll();
    }
  });

  test("a removed member, and one the store no longer lets in, are refused", async () => {
    const turnedDown = new Set<string>();
    const c = memCluster([1, 2, 3, 4], {
      identities: true,
      authorize: (node) => (turnedDown.has(node) ? "the store has no manager node of that id" : undefined),
    });
    try {
      const leader = await c.startAll();
      const [gone, barred] = [1, 2, 3, 4].filter((id) => id !== leader.id) as [NodeId, NodeId];
      // Cut off while it is removed, it never learns it was, and campaigns once it hears no leader.
      c.net.isolate(gone);
      await leader.removeMember(gone);
      turnedDown.add(`n${barred}`);
      await leader.propose(put("after", "1"));
      c.net.heal();
      await sleep(500);
      const from = (id: NodeId) => c.net.refusals.filter((r) => r.from === id && r.by === "receiver");
      assert.ok(
        from(gone).some((r) => r.reason === `raft: node ${gone} is not a member this node knows`),
        JSON.stringify(c.net.refusals),
      );
      assert.ok(
        from(barred).some((r) =>
          r.reason.endsWith(
            `node n${barred} (member ${barred}) may not take part: the store has no manager node of that id`,
          ),
        ),
      );
      assert.equal(c.sms.get(gone)?.get("after"), null);
    } finally {
      await c.stopAll();
    }
  });
});
