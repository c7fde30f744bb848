import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterStatus } from "@shoal/api";
import { clusterStatusText } from "./cluster-status.js";

const status: ClusterStatus = {
  source: "leader",
  answeredBy: { raftId: 2, apiAddr: "10.0.0.2:7070" },
  leaderId: 1,
  leaderApiAddr: "10.0.0.1:7070",
  term: 4,
  commitIndex: 40,
  quorum: 2,
  managers: [
    { raftId: 1, apiAddr: "10.0.0.1:7070", role: "voter", leader: true, reachable: true, lag: 0 },
    { raftId: 2, apiAddr: "10.0.0.2:7070", role: "voter", leader: false, reachable: true, lag: 2 },
    { raftId: 3, apiAddr: "10.0.0.3:7070", role: "voter", leader: false, reachable: false, lag: 12 },
    { raftId: 4, role: "learner", leader: false, reachable: true, lag: 0 },
  ],
  warning: "the leader does not reach manager 3",
};

test("cluster status: leader, term, commit and quorum; a row per manager marking the one that answered; the warning", () => {
  assert.equal(
    clusterStatusText(status),
    [
      "Leader: 1 at 10.0.0.1:7070   Term: 4   Commit index: 40   Quorum: 2 of 3 voters",
      "",
      "ID    API ADDRESS     ROLE      MANAGER STATUS   LAG",
      "1     10.0.0.1:7070   voter     Leader           0",
      "2 *   10.0.0.2:7070   voter     Reachable        2",
      "3     10.0.0.3:7070   voter     Unreachable      12",
      "4     -               learner   Reachable        0",
      "",
      "Warning: the leader does not reach manager 3",
      "",
    ].join("\n"),
  );
});

test("cluster status without a leader: no leader, unknown lags", () => {
  const alone: ClusterStatus = {
    source: "local",
    answeredBy: { raftId: 1, apiAddr: "10.0.0.1:7070" },
    term: 5,
    commitIndex: 40,
    quorum: 1,
    managers: [{ raftId: 1, apiAddr: "10.0.0.1:7070", role: "voter", leader: false, reachable: true }],
  };
  assert.equal(
    clusterStatusText(alone),
    "Leader: none   Term: 5   Commit index: 40   Quorum: 1 of 1 voter\n\nID    API ADDRESS     ROLE    MANAGER STATUS   LAG\n1 *   10.0.0.1:7070   voter   Reachable        -\n",
  );
});
