import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { FastifyInstance } from "fastify";
import {
  NetworkSpecSchema,
  ROUTES,
  SHOAL_VERSION,
  type ClusterStatus,
  type ErrorBody,
  type Info,
  type RouteName,
} from "@shoal/api";
import { NoQuorumError, TimeoutError } from "@shoal/raft";
import { StoreMachine, updateOf, type ApplyOutcome } from "@shoal/store";
import { ClusterStore, LocalConsensus, type Consensus } from "../store/cluster-store.js";
import { addTasks, seededStore, serviceSpec } from "../testing/fixtures.js";
import type { RaftView } from "./raft-view.js";
import { buildApiServer, LEADER_HEADER, MANAGERS_HEADER } from "./server.js";
import { LOCAL_ADMIN } from "../testing/api-harness.js";

/** Consensus whose read barriers answer, hang until their timeout, or fail; every barrier's timeout is kept. */
class FakeConsensus implements Consensus {
  readonly local: LocalConsensus;
  readonly barriers: (number | undefined)[] = [];
  barrier: "ok" | "hang" | "no-quorum" = "ok";
  leader = true;
  constructor(machine: StoreMachine) {
    this.local = new LocalConsensus(machine);
  }
  readonly propose = (data: Uint8Array): Promise<ApplyOutcome> => this.local.propose(data);
  readonly readBarrier = (timeoutMs?: number): Promise<number> => {
    this.barriers.push(timeoutMs);
    if (this.barrier === "ok") return this.local.readBarrier();
    if (this.barrier === "no-quorum") return Promise.reject(new NoQuorumError("raft: no leader for 3.0 s"));
    return new Promise((_, reject) =>
      setTimeout(() => reject(new TimeoutError("raft: read barrier timed out")), timeoutMs),
    );
  };
  readonly isLeader = (): boolean => this.leader;
}

const MANAGERS = [1, 2, 3].map((id) => ({
  raftId: id,
  apiAddr: `127.0.0.1:70${6 + id}0`,
  natsUrl: `nats://127.0.0.1:70${6 + id}2`,
  raftAddr: `127.0.0.1:70${6 + id}1`,
}));

const leaderView: RaftView = {
  id: 1,
  leaderId: 1,
  term: 4,
  commitIndex: 40,
  lastIndex: 42,
  voters: [1, 2, 3],
  learners: [4],
  reachable: new Set([1, 2, 4]),
  noQuorum: false,
  match: new Map([
    [1, 42],
    [2, 40],
    [3, 30],
    [4, 42],
  ]),
};
const cutOff: RaftView = {
  id: 1,
  leaderId: 0,
  term: 5,
  commitIndex: 40,
  lastIndex: 42,
  voters: [1, 2, 3],
  learners: [],
  reachable: new Set([1]),
  noQuorum: true,
};

interface Api {
  app: FastifyInstance;
  consensus: FakeConsensus;
  view: { current: RaftView };
  /** Listens on a free loopback port: its address. */
  listen: () => Promise<string>;
}

/** An API server for manager `view.id` of a three-manager cluster, with node n1, service web and a placed task. */
async function api(
  t: TestContext,
  o: { view?: RaftView; leaderApi?: string; requestTimeoutMs?: number } = {},
): Promise<Api> {
  const machine = new StoreMachine();
  const consensus = new FakeConsensus(machine);
  const store = await seededStore({
    store: new ClusterStore(machine, consensus),
    nodes: ["n1"],
    services: [["web", serviceSpec("web")]],
  });
  const cluster = store.state.cluster();
  assert.ok(cluster);
  await store.write([updateOf("cluster", cluster, { managers: MANAGERS })]);
  await store.write([
    {
      op: "create",
      kind: "network",
      object: { id: "net1", spec: NetworkSpecSchema.parse({ name: "backend" }), subnets: [] },
    },
  ]);
  await addTasks(store, "web", [{ slot: 1, nodeId: "n1" }]);
  const view = { current: o.view ?? leaderView };
  const self = MANAGERS.find((m) => m.raftId === view.current.id)?.apiAddr ?? "127.0.0.1:7070";
  const info = (): Info => ({
    version: SHOAL_VERSION,
    clusterId: "c1",
    nodeId: String(view.current.id),
    managerAddr: self,
    raft: { leader: consensus.leader, term: 1, commitIndex: 0, appliedIndex: 0 },
    counts: { nodes: 1, services: 1, tasks: 1 },
  });
  const app = await buildApiServer({
    store,
    info,
    logs: async function* () {},
    version: SHOAL_VERSION,
    leaderApi: () => o.leaderApi ?? (consensus.leader ? self : undefined),
    raft: () => view.current,
    requestTimeoutMs: o.requestTimeoutMs ?? 1_234,
    authenticate: () => LOCAL_ADMIN,
  });
  t.after(() => app.close());
  const listen = async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === "object");
    return `127.0.0.1:${addr.port}`;
  };
  return { app, consensus, view, listen };
}

async function get(
  a: Api,
  url: string,
  method: "GET" | "POST" = "GET",
  body?: object,
): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const res = await a.app.inject({ method, url, ...(body ? { payload: body } : {}) });
  const text = res.body.trim();
  const parsed: unknown =
    text === "" ? undefined : text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

/** Every GET route that reads the store, with a URL that finds something. */
const READS: Partial<Record<RouteName, string>> = {
  clusterInspect: "/v1/cluster",
  joinTokens: "/v1/cluster/join-tokens",
  nodeList: "/v1/nodes",
  nodeInspect: "/v1/nodes/n1",
  serviceList: "/v1/services",
  serviceInspect: "/v1/services/web",
  serviceLogs: "/v1/services/web/logs",
  taskList: "/v1/tasks?service=web",
  taskInspect: "/v1/tasks/TASK",
  taskLogs: "/v1/tasks/TASK/logs",
  networkList: "/v1/networks",
  networkInspect: "/v1/networks/backend",
  userList: "/v1/users",
};
/** GET routes that do not read the store linearizably, by design: this manager's own view, and the event stream. */
const LOCAL: RouteName[] = ["info", "clusterStatus", "events"];

test("every store read waits for a read barrier bounded by the request timeout; stale=true answers from local state without one", async (t) => {
  const a = await api(t);
  for (const [name, route] of Object.entries(ROUTES)) {
    if (route.method === "GET" && !LOCAL.includes(name as RouteName))
      assert.ok(READS[name as RouteName], `GET route ${name} is checked for its read barrier`);
  }
  const task = (await get(a, "/v1/tasks?service=web&stale=true")).body as { id: string }[];
  const url = (u: string) => u.replace("TASK", task[0]?.id ?? "");
  for (const [name, u] of Object.entries(READS)) {
    const before = a.consensus.barriers.length;
    const res = await get(a, url(u));
    assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(
      a.consensus.barriers.slice(before),
      [1_234],
      `${name} waited for one read barrier with the request timeout`,
    );
  }
  // No barrier can succeed now; stale reads still answer, and ask for none.
  a.consensus.barrier = "hang";
  const before = a.consensus.barriers.length;
  for (const [name, u] of Object.entries(READS)) {
    const res = await get(a, `${url(u)}${u.includes("?") ? "&" : "?"}stale=true`);
    assert.equal(res.status, 200, `${name} stale: ${JSON.stringify(res.body)}`);
  }
  assert.equal(a.consensus.barriers.length, before);
});

test("without quorum, reads and writes answer 503 SHOAL_ERR_NO_QUORUM naming the known and reachable managers; stale reads still answer", async (t) => {
  const a = await api(t, { view: cutOff, requestTimeoutMs: 20 });
  a.consensus.leader = false;
  a.consensus.barrier = "hang";
  const check = (e: ErrorBody["error"]) => {
    assert.equal(e.code, "SHOAL_ERR_NO_QUORUM");
    assert.match(e.message, /^a majority of managers is unreachable/);
    assert.match(
      e.message,
      /this manager reaches 1 of the 3 known managers \(1 at 127\.0\.0\.1:7070 \(this one\): reachable; 2 at 127\.0\.0\.1:7080: unreachable; 3 at 127\.0\.0\.1:7090: unreachable\); 2 of the 3 voters are needed/,
    );
    assert.match(
      e.hint ?? "",
      /^bring the unreachable managers back \(2 at 127\.0\.0\.1:7080, 3 at 127\.0\.0\.1:7090\); if the other managers are lost for good, recover with `shoal cluster init --force-new-cluster` on a surviving manager/,
    );
  };
  // A read whose barrier runs out of time, one whose barrier knows, and a write with no leader to forward to.
  const read = await get(a, "/v1/services");
  assert.equal(read.status, 503);
  check((read.body as ErrorBody).error);
  a.consensus.barrier = "no-quorum";
  check(((await get(a, "/v1/nodes/n1")).body as ErrorBody).error);
  const write = await get(a, "/v1/services", "POST", serviceSpec("api"));
  assert.equal(write.status, 503);
  check((write.body as ErrorBody).error);
  const stale = await get(a, "/v1/services?stale=true");
  assert.equal(stale.status, 200);
  assert.deepEqual(
    (stale.body as { spec: { name: string } }[]).map((s) => s.spec.name),
    ["web"],
  );

  // While an election may still end well, it is "no leader, retry".
  a.view.current = { ...cutOff, noQuorum: false };
  a.consensus.barrier = "hang";
  for (const res of [await get(a, "/v1/services"), await get(a, "/v1/services", "POST", serviceSpec("api"))]) {
    assert.equal(res.status, 503);
    const e = (res.body as ErrorBody).error;
    assert.equal(e.code, "SHOAL_ERR_NO_LEADER");
    assert.match(e.hint ?? "", /^retry in a second; `shoal cluster status` shows/);
  }
});

test("cluster status on the leader: each manager's role, reachability and lag, and what losing one more would mean", async (t) => {
  const a = await api(t);
  const res = await get(a, "/v1/cluster/status");
  assert.equal(res.status, 200);
  const expected: ClusterStatus = {
    source: "leader",
    answeredBy: { raftId: 1, apiAddr: "127.0.0.1:7070" },
    leaderId: 1,
    leaderApiAddr: "127.0.0.1:7070",
    term: 4,
    commitIndex: 40,
    quorum: 2,
    managers: [
      { raftId: 1, apiAddr: "127.0.0.1:7070", role: "voter", leader: true, reachable: true, lag: 0 },
      { raftId: 2, apiAddr: "127.0.0.1:7080", role: "voter", leader: false, reachable: true, lag: 2 },
      { raftId: 3, apiAddr: "127.0.0.1:7090", role: "voter", leader: false, reachable: false, lag: 12 },
      { raftId: 4, role: "learner", leader: false, reachable: true, lag: 0 },
    ],
    warning:
      "the leader does not reach manager 3: 2 of 3 voters are up, 2 needed; one more lost voter stops all reads and writes",
  };
  assert.deepEqual(res.body, expected);
  // It needs no read barrier: it answers even when none could succeed.
  a.consensus.barrier = "hang";
  assert.equal((await get(a, "/v1/cluster/status")).status, 200);
});

test("cluster status on a follower comes from the leader; without an answering leader, from its own view, saying why", async (t) => {
  const leader = await api(t);
  const leaderAddr = await leader.listen();
  const followerView: RaftView = {
    id: 2,
    leaderId: 1,
    term: 4,
    commitIndex: 40,
    lastIndex: 40,
    voters: [1, 2, 3],
    learners: [4],
    reachable: new Set([1, 2]),
    noQuorum: false,
  };
  const follower = await api(t, { view: followerView, leaderApi: leaderAddr });
  follower.consensus.leader = false;
  const forwarded = await get(follower, "/v1/cluster/status");
  assert.equal(forwarded.status, 200);
  assert.deepEqual(forwarded.body, (await get(leader, "/v1/cluster/status")).body);

  await leader.app.close();
  const local = await get(follower, "/v1/cluster/status");
  assert.equal(local.status, 200);
  const s = local.body as ClusterStatus;
  assert.deepEqual([s.source, s.answeredBy.raftId, s.leaderId], ["local", 2, 1]);
  assert.deepEqual(
    s.managers.map((m) => [m.raftId, m.reachable, m.lag]),
    [
      [1, true, undefined],
      [2, true, undefined],
      [3, false, undefined],
      [4, false, undefined],
    ],
  );
  assert.match(
    s.warning ?? "",
    /^the leader \(1 at 127\.0\.0\.1:7070\) did not answer \(.+\): this is manager 2's own view; lags are unknown$/,
  );

  follower.view.current = { ...cutOff, id: 2, reachable: new Set([2]) };
  const alone = (await get(follower, "/v1/cluster/status")).body as ClusterStatus;
  assert.equal(alone.leaderId, undefined);
  assert.match(
    alone.warning ?? "",
    /^a majority of managers is unreachable.*this manager reaches 1 of the 3 known managers/,
  );
});

test("every answer names the managers and the leader, so clients can follow them", async (t) => {
  const a = await api(t);
  const ok = await get(a, "/v1/services");
  assert.equal(ok.headers[MANAGERS_HEADER], "127.0.0.1:7070,127.0.0.1:7080,127.0.0.1:7090");
  assert.equal(ok.headers[LEADER_HEADER], "127.0.0.1:7070");
  const notFound = await get(a, "/v1/services/nope");
  assert.equal(notFound.status, 404);
  assert.equal(notFound.headers[MANAGERS_HEADER], "127.0.0.1:7070,127.0.0.1:7080,127.0.0.1:7090");
});
