import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { FastifyInstance } from "fastify";
import { ApiError, SHOAL_VERSION, ShoalClient, type ClusterStatus, type ErrorBody, type Info } from "@shoal/api";
import { openRaftNode, type RaftNode } from "@shoal/raft";
import { StoreMachine, type ApplyOutcome } from "@shoal/store";
import { ClusterStore } from "../store/cluster-store.js";
import { clusterObject, pollUntil, serviceSpec } from "../testing/fixtures.js";
import { freePort } from "../testing/net.js";
import { raftViewOf } from "./raft-status.js";
import { buildApiServer } from "./server.js";
import { LOCAL_ADMIN } from "../testing/api-harness.js";

interface Manager {
  readonly id: number;
  readonly raft: RaftNode;
  readonly store: ClusterStore;
  readonly app: FastifyInstance;
  readonly apiAddr: string;
  running: boolean;
  stop(): Promise<void>;
}

/** Three managers on loopback, each a Raft node on its own data dir with the store and the REST API, as the daemon wires them. */
async function startManagers(base: string): Promise<Manager[]> {
  const raftPorts = [await freePort(), await freePort(), await freePort()];
  const apiPorts = [await freePort(), await freePort(), await freePort()];
  const peers = raftPorts.map((p, i) => ({ id: i + 1, address: `127.0.0.1:${p}` }));
  const managers: Manager[] = [];
  for (const peer of peers) {
    const machine = new StoreMachine();
    const raft = await openRaftNode({
      tickMs: 10,
      raft: { electionTick: 10, heartbeatTick: 1 },
      requestTimeoutMs: 2_000,
      dataDir: join(base, `m${peer.id}`),
      id: peer.id,
      clusterId: "c1",
      listen: { host: "127.0.0.1", port: raftPorts[peer.id - 1] as number },
      stateMachine: machine,
      bootstrap: peers,
    });
    const store = new ClusterStore(machine, {
      propose: (d) => raft.propose<ApplyOutcome>(d),
      readBarrier: (t) => raft.readBarrier(t),
      isLeader: () => raft.isLeader(),
    });
    const apiAddr = `127.0.0.1:${apiPorts[peer.id - 1]}`;
    const leaderApi = () => store.state.cluster()?.managers.find((m) => m.raftId === raft.leader().id)?.apiAddr;
    const info = (): Info => {
      const st = raft.status();
      const lead = leaderApi();
      return {
        version: SHOAL_VERSION,
        clusterId: "c1",
        nodeId: String(peer.id),
        managerAddr: apiAddr,
        raft: {
          leader: raft.isLeader(),
          ...(st.lead ? { leaderId: String(st.lead) } : {}),
          ...(lead ? { leaderApiAddr: lead } : {}),
          term: st.term,
          commitIndex: st.commit,
          appliedIndex: st.applied,
        },
        counts: { nodes: 0, services: store.state.list("service").length, tasks: 0 },
      };
    };
    const app = await buildApiServer({
      store,
      info,
      logs: async function* () {},
      version: SHOAL_VERSION,
      leaderApi,
      raft: () => raftViewOf(raft),
      requestTimeoutMs: 1_000,
      // Plain HTTP between the managers here: every request is root's on a manager.
      authenticate: () => LOCAL_ADMIN,
    });
    await app.listen({ host: "127.0.0.1", port: apiPorts[peer.id - 1] as number });
    const m: Manager = {
      id: peer.id,
      raft,
      store,
      app,
      apiAddr,
      running: true,
      stop: async () => {
        if (!m.running) return;
        m.running = false;
        await app.close();
        await raft.stop();
      },
    };
    managers.push(m);
  }
  return managers;
}

test("three managers on loopback: a client given one follower follows the cluster through its death; the last manager answers no quorum", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "shoal-three-managers-"));
  let managers: Manager[] = [];
  t.after(async () => {
    for (const m of managers) await m.stop();
    rmSync(base, { recursive: true, force: true });
  });
  managers = await startManagers(base);
  const leader = await pollUntil(() => managers.find((m) => m.raft.isLeader()), "a leader", 10_000);
  const cluster = clusterObject();
  await leader.store.write([
    {
      op: "create",
      kind: "cluster",
      object: {
        ...cluster,
        managers: managers.map((m) => ({
          raftId: m.id,
          apiAddr: m.apiAddr,
          natsUrl: "nats://127.0.0.1:1",
          raftAddr: "127.0.0.1:1",
        })),
      },
    },
  ]);

  const [first, second] = managers.filter((m) => m !== leader) as [Manager, Manager];
  const learned: (readonly string[])[] = [];
  const client = new ShoalClient({ managers: [first.apiAddr], timeoutMs: 5_000, onManagers: (m) => learned.push(m) });
  // A write through a follower reaches the leader; a read through the other follower sees it at once.
  const created = await client.call("serviceCreate", { body: serviceSpec("web") });
  const other = new ShoalClient({ managers: [second.apiAddr], timeoutMs: 5_000 });
  assert.equal((await other.call("serviceInspect", { params: { ref: "web" } })).id, created.id);
  assert.deepEqual([...(learned.at(-1) ?? [])].sort(), managers.map((m) => m.apiAddr).sort());

  const status: ClusterStatus = await client.call("clusterStatus");
  assert.deepEqual(
    [status.source, status.leaderId, status.leaderApiAddr, status.quorum],
    ["leader", leader.id, leader.apiAddr, 2],
  );
  assert.deepEqual(
    status.managers.map((m) => [m.raftId, m.role, m.leader, m.reachable]),
    managers.map((m) => [m.id, "voter", m === leader, true]),
  );
  assert.ok(status.managers.every((m) => m.lag !== undefined));

  // The manager the client was given dies: it moves on to the others it learned.
  await first.stop();
  assert.equal((await client.call("serviceInspect", { params: { ref: "web" } })).id, created.id);
  assert.notEqual(client.manager, `http://${first.apiAddr}`);

  // The leader dies too: the last manager cannot have a leader; once it sees that, it says why and what to do.
  await leader.stop();
  await pollUntil(() => second.raft.status().noQuorum, "the last manager to notice it has no quorum", 10_000);
  await assert.rejects(other.call("serviceList"), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, "SHOAL_ERR_NO_QUORUM");
    assert.match(
      e.message,
      new RegExp(
        `this manager reaches 1 of the 3 known managers .*${second.id} at ${second.apiAddr} \\(this one\\): reachable`,
      ),
    );
    assert.match(e.hint ?? "", /shoal cluster init --force-new-cluster/);
    return true;
  });
  const write = await second.app.inject({ method: "POST", url: "/v1/services", payload: serviceSpec("api") });
  assert.deepEqual([write.statusCode, (JSON.parse(write.body) as ErrorBody).error.code], [503, "SHOAL_ERR_NO_QUORUM"]);
  assert.deepEqual(
    (await other.call("serviceList", { query: { stale: "true" } })).map((s) => s.spec.name),
    ["web"],
  );
  const alone = await other.call("clusterStatus");
  assert.deepEqual(
    [alone.source, alone.leaderId, alone.managers.filter((m) => m.reachable).map((m) => m.raftId)],
    ["local", undefined, [second.id]],
  );
  assert.match(alone.warning ?? "", /^a majority of managers is unreachable/);
});
