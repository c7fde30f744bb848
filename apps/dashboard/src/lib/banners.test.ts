import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterStatus } from "@shoal/api";
import { banners } from "./banners.js";
import type { LiveState } from "./live.js";
import { EMPTY_MODEL } from "./model.js";

const status = (o: Partial<ClusterStatus> = {}): ClusterStatus => ({
  source: "leader",
  answeredBy: { raftId: 1, apiAddr: "10.0.0.1:7070" },
  leaderId: 1,
  term: 3,
  commitIndex: 9,
  quorum: 2,
  managers: [
    { raftId: 1, apiAddr: "10.0.0.1:7070", role: "voter", leader: true, reachable: true },
    { raftId: 2, apiAddr: "10.0.0.2:7070", role: "voter", leader: false, reachable: true },
  ],
  ...o,
});
const live = (o: Partial<LiveState>): LiveState => ({
  model: EMPTY_MODEL,
  loaded: true,
  conn: { state: "live" },
  ...o,
});
const info = {
  version: "1",
  clusterId: "c",
  nodeId: "n1",
  managerAddr: "10.0.0.1:7070",
  raft: { leader: true, term: 3, commitIndex: 9, appliedIndex: 9 },
  counts: { nodes: 2, services: 0, tasks: 0 },
};

test("a healthy cluster shows no banner", () => {
  assert.deepEqual(banners(live({ status: status() })), []);
});

test("an unreachable manager: the last state stays, the retry is announced, and the other managers are offered", () => {
  const b = banners(
    live({
      info,
      status: status(),
      conn: {
        state: "retrying",
        attempt: 2,
        retryInMs: 2000,
        problem: { code: "SHOAL_ERR_UNREACHABLE", message: "cannot reach a manager at http://10.0.0.1:7070" },
      },
    }),
  );
  assert.equal(b.length, 1);
  assert.equal(b[0]?.title, "This manager stopped answering.");
  assert.match(b[0]?.text ?? "", /Retrying in 2 s \(attempt 2\)/);
  assert.deepEqual(b[0]?.elsewhere, ["10.0.0.2:7070"]);
  assert.deepEqual(
    banners(
      live({
        loaded: false,
        conn: { state: "retrying", attempt: 1, retryInMs: 1000, problem: { code: "X", message: "y" } },
      }),
    ),
    [],
    "before the first load the page itself shows the problem",
  );
});

test("no leader and lost quorum are said as such", () => {
  const noLeader = banners(
    live({ status: status({ leaderId: undefined, source: "local", warning: "no leader: 1 of 3 managers reachable" }) }),
  );
  assert.deepEqual([noLeader[0]?.title, noLeader[0]?.text], ["No leader.", "no leader: 1 of 3 managers reachable"]);
  const quorum = banners(
    live({
      status: status(),
      statusProblem: {
        code: "SHOAL_ERR_NO_QUORUM",
        message: "2 of 3 managers are unreachable",
        hint: "restart them or force a new cluster",
      },
    }),
  );
  assert.deepEqual(
    [quorum[0]?.title, quorum[0]?.text],
    ["The managers lost their quorum.", "2 of 3 managers are unreachable restart them or force a new cluster"],
  );
  assert.deepEqual(
    banners(live({ statusProblem: { code: "SHOAL_ERR_UNAUTHENTICATED", message: "sign in", status: 401 } })),
    [],
    "credentials are asked by the sign-in form instead",
  );
  const forbidden = banners(
    live({
      statusProblem: { code: "SHOAL_ERR_FORBIDDEN", message: "api: refused GET /v1/info: the Host ...", status: 403 },
    }),
  );
  assert.equal(forbidden[0]?.title, "Cannot read the managers' state.", "a refusal is no reason to sign in again");
});
