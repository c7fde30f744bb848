import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { decodeConfChange, encodeConfChange } from "../codec/codec.js";
import { type ConfChange, type Entry, ConfChangeType, EntryType } from "../core/types.js";
import {
  ConfChangeError,
  ForceNewClusterError,
  NoQuorumError,
  NotLeaderError,
  NothingToRecoverError,
  RaftConfigError,
  TimeoutError,
} from "../errors.js";
import { DiskStorage, type PersistedState } from "../storage/durable-storage.js";
import { ents, hs, show, snap, withTempDir } from "../storage/storage-test-util.js";
import { KvStateMachine } from "../testing/kv/kv-state-machine.js";
import { planForceNewCluster } from "./force-new-cluster.js";
import { decodeMemberContext } from "./member.js";
import { openRaftNode } from "./open.js";
import type { RaftNode } from "./raft-node.js";
import { FAST, freePort, memCluster, put, waitLeader } from "./test-support.js";

const cc = (index: number, term: number, change: ConfChange): Entry => ({
  index,
  term,
  type: EntryType.ConfChange,
  data: encodeConfChange(change),
});
const state = (p: Partial<PersistedState>): PersistedState => ({
  hardState: hs(0, 0, 0),
  snapshot: null,
  entries: [],
  warnings: [],
  ...p,
});
/** The rewritten entries as "AddVoter 4" / "RemoveNode 2" / "empty", with their index and term. */
const changes = (entries: readonly Entry[]): string[] =>
  entries.map((e) => {
    const what =
      e.type === EntryType.ConfChange
        ? `${ConfChangeType[decodeConfChange(e.data).type]} ${decodeConfChange(e.data).nodeId}`
        : "empty";
    return `${e.index}@${e.term} ${what}`;
  });

describe("planForceNewCluster", () => {
  test("keeps the committed log, drops the uncommitted tail, removes the other members at a higher term", () => {
    // Snapshot at 10 with voters 1-3 and learner 4; entries 11-15 of term 3, of which 13 is committed.
    const plan = planForceNewCluster(
      state({ hardState: hs(4, 2, 13), snapshot: snap(10, 2), entries: ents(11, 15, 3) }),
      1,
      { address: "a:1", nodeId: "n1" },
    );
    assert.deepEqual(changes(plan.batch.entries), ["14@5 RemoveNode 2", "15@5 RemoveNode 3", "16@5 RemoveNode 4"]);
    assert.deepEqual(plan.batch.hardState, { term: 5, vote: 0, commit: 16 });
    assert.deepEqual(
      [plan.keptTo, plan.dropped, plan.removed, plan.promoted, plan.commit],
      [13, 2, [2, 3, 4], false, 16],
    );
  });

  test("follows committed membership changes in the log, and promotes a learner it leaves as the only voter", () => {
    const add5 = cc(11, 2, { type: ConfChangeType.AddLearner, nodeId: 5, context: new Uint8Array(0) });
    const rm2 = cc(12, 2, { type: ConfChangeType.RemoveNode, nodeId: 2, context: new Uint8Array(0) });
    const uncommittedRm3 = cc(13, 2, { type: ConfChangeType.RemoveNode, nodeId: 3, context: new Uint8Array(0) });
    const plan = planForceNewCluster(
      state({ hardState: hs(2, 0, 12), snapshot: snap(10, 2), entries: [add5, rm2, uncommittedRm3] }),
      4,
      { address: "d:4", nodeId: "n4" },
    );
    assert.deepEqual(changes(plan.batch.entries), [
      "13@3 AddVoter 4",
      "14@3 RemoveNode 1",
      "15@3 RemoveNode 3",
      "16@3 RemoveNode 5",
    ]);
    assert.deepEqual(
      decodeMemberContext(decodeConfChange((plan.batch.entries[0] as Entry).data).context),
      { address: "d:4", nodeId: "n4" },
      "the promoted member's address and identity",
    );
    assert.deepEqual([plan.promoted, plan.dropped], [true, 1]);
  });

  test("a member already alone still gets a new term, and an empty entry that cuts its uncommitted tail", () => {
    const solo = {
      meta: { index: 5, term: 1, conf: { voters: [1], learners: [], removed: [2] } },
      data: new Uint8Array(0),
    };
    const plan = planForceNewCluster(state({ hardState: hs(3, 1, 5), snapshot: solo, entries: ents(6, 7, 3) }), 1, {
      address: "a:1",
      nodeId: "n1",
    });
    assert.deepEqual(changes(plan.batch.entries), ["6@4 empty"]);
    assert.deepEqual([plan.dropped, plan.removed, plan.commit], [2, [], 6]);
  });

  test("refuses with typed errors: no state, nothing committed, a removed member, a stranger", () => {
    const cases: [string, PersistedState, number, new (...a: never[]) => Error, RegExp][] = [
      ["empty", state({}), 1, NothingToRecoverError, /holds no Raft state, so there is nothing to recover/],
      [
        "uncommitted",
        state({ hardState: hs(1, 1, 0), entries: ents(1, 2, 1) }),
        1,
        NothingToRecoverError,
        /holds no committed entry/,
      ],
      [
        "removed",
        state({ hardState: hs(2, 0, 10), snapshot: snap(10, 2) }),
        9,
        ForceNewClusterError,
        /node 9: it was removed from the cluster/,
      ],
      [
        "stranger",
        state({ hardState: hs(2, 0, 10), snapshot: snap(10, 2) }),
        7,
        ForceNewClusterError,
        /node 7: it is not a member .*members: 1, 2, 3, 4/,
      ],
    ];
    for (const [name, st, self, type, message] of cases) {
      assert.throws(
        () => planForceNewCluster(st, self, { address: "x:1" }),
        (e: unknown) => e instanceof type && message.test(e.message),
        name,
      );
    }
  });

  test("on disk, the rewrite replaces the uncommitted tail in the WAL", () =>
    withTempDir(async (dir) => {
      const s = await DiskStorage.open(dir);
      await s.load();
      await s.save(
        {
          hardState: hs(2, 1, 0),
          entries: [
            cc(1, 1, { type: ConfChangeType.AddVoter, nodeId: 1, context: new Uint8Array(0) }),
            cc(2, 1, { type: ConfChangeType.AddVoter, nodeId: 2, context: new Uint8Array(0) }),
          ],
          snapshot: null,
        },
        true,
      );
      await s.save({ hardState: hs(2, 1, 4), entries: ents(3, 6, 2), snapshot: null }, true);
      const plan = planForceNewCluster(await s.load(), 1, { address: "a:1" });
      await s.save(plan.batch, true);
      await s.close();
      const after = await s.load();
      await s.close();
      assert.deepEqual(show(after.entries.slice(2, 4)), show(ents(3, 4, 2)));
      assert.deepEqual(changes(after.entries.slice(4)), ["5@3 RemoveNode 2"]);
      assert.deepEqual(after.hardState, { term: 3, vote: 0, commit: 5 });
    }));
});

describe("RaftNode with forceNewCluster", () => {
  test("the last member of three leads alone with every committed write, then admits a new member", async () => {
    const c = memCluster([1, 2, 3], { snapshotEntries: 20 });
    try {
      const leader = await c.startAll();
      // Past a snapshot, so the rewrite works on a snapshot plus the log after it.
      for (let i = 0; i < 30; i++) await leader.propose(put(`k${i}`, String(i)));
      const gone = [1, 2, 3].filter((id) => id !== leader.id);
      for (const id of gone) await c.nodes.get(id)?.stop();
      // Appended by the survivor but never committed: it must not come back.
      await assert.rejects(leader.propose(put("uncommitted", "x"), 200), (e: unknown) => e instanceof TimeoutError);
      await leader.stop();
      const oldTerm = leader.status().term;

      const alone = await c.start(leader.id, false, [], { forceNewCluster: true });
      await waitLeader([alone]);
      const st = alone.status();
      assert.deepEqual([st.conf.voters, st.conf.removed], [[leader.id], gone]);
      assert.ok(st.term > oldTerm, `term ${st.term} above the old ${oldTerm}`);
      const sm = c.sms.get(leader.id) as KvStateMachine;
      assert.deepEqual([sm.get("k0"), sm.get("k29"), sm.get("uncommitted")], ["0", "29", null]);
      await alone.propose(put("after", "yes"));

      await c.start(4, false, [leader.id]);
      await alone.addMember(4, "memory:4");
      assert.deepEqual(alone.status().conf.voters, [leader.id, 4]);
      await c.nodes.get(4)?.readBarrier();
      assert.deepEqual([c.sms.get(4)?.get("k29"), c.sms.get(4)?.get("after")], ["29", "yes"]);
      await assert.rejects(
        alone.addMember(gone[0] as number, "memory:x"),
        (e: unknown) => e instanceof ConfChangeError && /cannot be reused/.test(e.message),
      );
    } finally {
      await c.stopAll();
    }
  });

  test("a restart after the forced one is an ordinary restart; bootstrap together with it is refused", async () => {
    const c = memCluster([1]);
    try {
      const n = await c.startAll();
      await n.propose(put("a", "1"));
      await n.stop();
      await assert.rejects(
        c.start(1, true, [], { forceNewCluster: true }),
        (e: unknown) => e instanceof RaftConfigError && /exclude each other/.test(e.message),
      );
      await (await c.start(1, false, [], { forceNewCluster: true })).stop();
      const again = await c.start(1, false);
      await waitLeader([again]);
      assert.equal(c.sms.get(1)?.get("a"), "1");
    } finally {
      await c.stopAll();
    }
  });

  test("on data dirs over TCP: the survivor of three restarts alone, and a removed member cannot disturb it", async (t) => {
    const base = await mkdtemp(join(tmpdir(), "shoal-raft-fnc-"));
    const nodes = new Map<number, RaftNode>();
    t.after(async () => {
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      await rm(base, { recursive: true, force: true });
    });
    const ports = [await freePort(), await freePort(), await freePort()];
    const peers = ports.map((p, i) => ({ id: i + 1, address: `127.0.0.1:${p}` }));
    const sms = new Map<number, KvStateMachine>();
    const open = (id: number, force = false): Promise<RaftNode> => {
      const sm = new KvStateMachine();
      sms.set(id, sm);
      const common = {
        ...FAST,
        dataDir: join(base, `n${id}`),
        id,
        clusterId: "c",
        listen: { host: "127.0.0.1", port: ports[id - 1] as number },
        stateMachine: sm,
      };
      return openRaftNode(force ? { ...common, forceNewCluster: true } : { ...common, bootstrap: peers });
    };
    for (const p of peers) nodes.set(p.id, await open(p.id));
    const leader = await waitLeader([...nodes.values()]);
    for (let i = 0; i < 10; i++) await leader.propose(put(`t${i}`, String(i)));
    const survivor = peers.find((p) => p.id !== leader.id)?.id as number;
    await (nodes.get(survivor) as RaftNode).readBarrier();
    for (const n of nodes.values()) await n.stop();
    nodes.clear();

    const alone = await open(survivor, true);
    nodes.set(survivor, alone);
    await waitLeader([alone]);
    assert.equal(sms.get(survivor)?.get("t9"), "9");
    // The old leader comes back with its old membership: the new cluster ignores it and keeps leading.
    const term = alone.status().term;
    const old = await open(leader.id);
    nodes.set(leader.id, old);
    // Many election timeouts: it campaigns in vain, since the new cluster drops a removed member's messages.
    await assert.rejects(
      old.waitForLeader(500),
      (e: unknown) => e instanceof NotLeaderError || e instanceof NoQuorumError,
    );
    await alone.propose(put("after", "yes"));
    assert.deepEqual([alone.isLeader(), alone.status().term, alone.status().conf.voters], [true, term, [survivor]]);
  });

  test("an empty data dir has nothing to recover", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "shoal-raft-fnc-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await assert.rejects(
      openRaftNode({
        ...FAST,
        dataDir: join(dir, "none"),
        id: 1,
        clusterId: "c",
        listen: { host: "127.0.0.1", port: 0 },
        stateMachine: new KvStateMachine(),
        forceNewCluster: true,
      }),
      (e: unknown) =>
        e instanceof NothingToRecoverError &&
        e.code === "SHOAL_ERR_NOTHING_TO_RECOVER" &&
        /holds no member's state/.test(e.message),
    );
  });
});
