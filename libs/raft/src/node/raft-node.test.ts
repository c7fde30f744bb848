import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  ConfChangeError,
  DataDirError,
  NoQuorumError,
  NotLeaderError,
  ProposalLostError,
  TimeoutError,
} from "../errors.js";
import { KvStateMachine, type KvResult } from "../testing/kv/kv-state-machine.js";
import type { NodeId } from "../core/types.js";
import { openRaftNode } from "./open.js";
import type { RaftNode } from "./raft-node.js";
import { FAST, freePort, memCluster, put, waitLeader } from "./test-support.js";

describe("RaftNode over the in-memory twins", () => {
  test("elects a leader, commits proposals on every node, and followers refuse with a hint", async () => {
    const c = memCluster([1, 2, 3]);
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const leader = await waitLeader([...c.nodes.values()]);
      const res = await leader.propose<KvResult>(put("a", "1"));
      assert.deepEqual(res, { ok: true, value: "1" });
      const follower = [...c.nodes.values()].find((n) => n !== leader) as RaftNode;
      await assert.rejects(
        follower.propose(put("b", "2")),
        (e: unknown) => e instanceof NotLeaderError && e.leaderHint === leader.id,
      );
      // A read barrier on a follower makes its local state linearizable.
      await follower.readBarrier();
      assert.equal(c.sms.get(follower.id)?.get("a"), "1");
      const st = leader.status();
      assert.equal(st.lead, leader.id);
      assert.equal(st.progress.size, 3);
      for (const p of st.progress.values()) assert.ok(p.match >= st.commit - 1);
    } finally {
      await c.stopAll();
    }
  });

  test("a new leader takes over when the leader is isolated; the old one's unreplicated proposal is lost", async () => {
    const c = memCluster([1, 2, 3]);
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const old = await waitLeader([...c.nodes.values()]);
      await old.propose(put("k", "before"));
      c.net.isolate(old.id);
      const pending = old.propose(put("k", "lost"), 60_000);
      const others = [...c.nodes.values()].filter((n) => n !== old);
      const next = await waitLeader(others);
      await next.propose(put("k", "after"));
      c.net.heal();
      await assert.rejects(pending, (e: unknown) => e instanceof ProposalLostError);
      await old.readBarrier();
      assert.equal(c.sms.get(old.id)?.get("k"), "after");
    } finally {
      await c.stopAll();
    }
  });

  test("status tells whom a node heard from lately and when quorum looks lost; a read barrier without quorum fails within its timeout", async () => {
    const c = memCluster([1, 2, 3]);
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const leader = await waitLeader([...c.nodes.values()]);
      await leader.propose(put("k", "v"));
      assert.deepEqual([...leader.status().reachable].sort(), [1, 2, 3]);
      assert.equal(leader.status().noQuorum, false);
      c.net.isolate(leader.id);
      // No event says "quorum lost": poll the status with a deadline.
      const deadline = Date.now() + 10_000;
      while (!leader.status().noQuorum) {
        assert.ok(Date.now() < deadline, "the isolated node noticed it has no quorum");
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual([...leader.status().reachable], [leader.id]);
      await assert.rejects(
        leader.readBarrier(200),
        (e: unknown) => e instanceof NoQuorumError || e instanceof TimeoutError,
      );
    } finally {
      await c.stopAll();
    }
  });

  test("membership: add a voter through learner, remove a node, and never reuse its id", async () => {
    const c = memCluster([1, 2, 3], { snapshotEntries: 20 });
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const leader = await waitLeader([...c.nodes.values()]);
      // Enough entries for a snapshot and compaction, so the newcomer is caught up by snapshot.
      for (let i = 0; i < 60; i++) await leader.propose(put(`k${i}`, String(i)));
      await c.start(4, false, [1, 2, 3]);
      await leader.addMember(4, "memory:4");
      assert.deepEqual(leader.status().conf.voters, [1, 2, 3, 4]);
      const n4 = c.nodes.get(4) as RaftNode;
      await n4.readBarrier();
      assert.equal(c.sms.get(4)?.get("k59"), "59");
      const victim = [1, 2, 3].find((id) => id !== leader.id) as NodeId;
      await leader.removeMember(victim);
      assert.deepEqual(leader.status().conf.voters.includes(victim), false);
      await assert.rejects(
        leader.addMember(victim, `memory:${victim}`),
        (e: unknown) => e instanceof ConfChangeError && /cannot be reused/.test(e.message),
      );
    } finally {
      await c.stopAll();
    }
  });

  test("leadership transfer hands over to the named voter", async () => {
    const c = memCluster([1, 2, 3]);
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const leader = await waitLeader([...c.nodes.values()]);
      await leader.propose(put("x", "1"));
      const target = [1, 2, 3].find((id) => id !== leader.id) as NodeId;
      await leader.transferLeadership(target);
      assert.equal(c.nodes.get(target)?.isLeader(), true);
      assert.equal(leader.isLeader(), false);
    } finally {
      await c.stopAll();
    }
  });

  test("a restarted node recovers its log and state from storage", async () => {
    const c = memCluster([1, 2, 3], { snapshotEntries: 10 });
    try {
      for (const id of [1, 2, 3]) await c.start(id);
      const leader = await waitLeader([...c.nodes.values()]);
      for (let i = 0; i < 25; i++) await leader.propose(put(`r${i}`, String(i)));
      const f = [1, 2, 3].find((id) => id !== leader.id) as NodeId;
      await c.nodes.get(f)?.stop();
      const restarted = await c.start(f, true);
      await restarted.readBarrier();
      assert.equal(c.sms.get(f)?.get("r24"), "24");
      assert.ok(restarted.status().snapshotIndex > 0, "restarted from a snapshot");
    } finally {
      await c.stopAll();
    }
  });
});

describe("RaftNode on data dirs over TCP", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test("a three-node cluster on loopback survives a restart, and a data dir refuses a second process or another id", async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const peers = ports.map((p, i) => ({ id: i + 1, address: `127.0.0.1:${p}` }));
    const base = await mkdtemp(join(tmpdir(), "shoal-raft-node-"));
    dirs.push(base);
    const sms = new Map<NodeId, KvStateMachine>();
    const open = (id: NodeId): Promise<RaftNode> => {
      const sm = new KvStateMachine();
      sms.set(id, sm);
      return openRaftNode({
        ...FAST,
        dataDir: join(base, `n${id}`),
        id,
        clusterId: "test-cluster",
        listen: { host: "127.0.0.1", port: ports[id - 1] as number },
        stateMachine: sm,
        bootstrap: peers,
      });
    };
    const nodes = new Map<NodeId, RaftNode>();
    try {
      for (const p of peers) nodes.set(p.id, await open(p.id));
      const leader = await waitLeader([...nodes.values()]);
      for (let i = 0; i < 20; i++) await leader.propose(put(`t${i}`, String(i)));
      await assert.rejects(open(leader.id), (e: unknown) => e instanceof DataDirError && /in use/.test(e.message));
      const f = peers.find((p) => p.id !== leader.id)?.id as NodeId;
      await nodes.get(f)?.stop();
      await assert.rejects(
        openRaftNode({
          ...FAST,
          dataDir: join(base, `n${f}`),
          id: 99,
          listen: { host: "127.0.0.1", port: 0 },
          stateMachine: new KvStateMachine(),
        }),
        (e: unknown) => e instanceof DataDirError && /belongs to node/.test(e.message),
      );
      nodes.set(f, await open(f));
      await leader.propose(put("after-restart", "yes"));
      const restarted = nodes.get(f) as RaftNode;
      await restarted.readBarrier();
      assert.equal(sms.get(f)?.get("t19"), "19");
      assert.equal(sms.get(f)?.get("after-restart"), "yes");
    } finally {
      await Promise.all([...nodes.values()].map((n) => n.stop()));
    }
  });
});
