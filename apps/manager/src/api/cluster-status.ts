import type { ClusterStatus, ManagerStatus } from "@shoal/api";
import { noQuorumError } from "./errors.js";
import { managerLabel, quorumOf, type Managers, type RaftView } from "./raft-view.js";

/**
 * `GET /v1/cluster/status` from one manager's view. On the leader (`source: leader`) each member's
 * reachability and lag come from its replication progress; elsewhere (`source: local`) reachability is what
 * this manager heard lately, lags are unknown, and `warning` says why the leader did not answer.
 */
export function buildClusterStatus(
  view: RaftView,
  managers: Managers,
  self: string,
  leaderProblem?: string,
): ClusterStatus {
  const fromLeader = view.leaderId === view.id && view.match !== undefined;
  const ids = [...new Set([...view.voters, ...view.learners])].sort((a, b) => a - b);
  const rows: ManagerStatus[] = ids.map((id) => {
    const apiAddr = managers.find((m) => m.raftId === id)?.apiAddr;
    const match = id === view.id ? view.lastIndex : view.match?.get(id);
    return {
      raftId: id,
      ...(apiAddr ? { apiAddr } : {}),
      role: view.learners.includes(id) ? "learner" : "voter",
      leader: id === view.leaderId,
      reachable: view.reachable.has(id),
      ...(fromLeader && match !== undefined ? { lag: Math.max(0, view.lastIndex - match) } : {}),
    };
  });
  const quorum = quorumOf(view);
  const leaderApiAddr = managers.find((m) => m.raftId === view.leaderId)?.apiAddr;
  const warning = fromLeader ? leaderWarning(view, rows, quorum) : localWarning(view, managers, leaderProblem);
  return {
    source: fromLeader ? "leader" : "local",
    answeredBy: { raftId: view.id, apiAddr: self },
    ...(view.leaderId ? { leaderId: view.leaderId } : {}),
    ...(leaderApiAddr ? { leaderApiAddr } : {}),
    term: view.term,
    commitIndex: view.commitIndex,
    quorum,
    managers: rows,
    ...(warning ? { warning } : {}),
  };
}

function leaderWarning(view: RaftView, rows: readonly ManagerStatus[], quorum: number): string | undefined {
  const voters = rows.filter((r) => r.role === "voter");
  const up = voters.filter((r) => r.reachable).length;
  const down = rows.filter((r) => !r.reachable).map((r) => String(r.raftId));
  if (down.length === 0) return undefined;
  const spare = up - quorum;
  const tail =
    spare <= 0
      ? "one more lost voter stops all reads and writes"
      : `${spare} more voter${spare === 1 ? "" : "s"} can be lost`;
  return `the leader does not reach manager${down.length === 1 ? "" : "s"} ${down.join(", ")}: ${up} of ${view.voters.length} voters are up, ${quorum} needed; ${tail}`;
}

function localWarning(view: RaftView, managers: Managers, leaderProblem: string | undefined): string {
  if (view.leaderId === 0) {
    if (view.noQuorum) return noQuorumError(view, managers).message;
    return "no manager is leader right now (an election is in progress): this is this manager's own view; lags are unknown";
  }
  return `the leader (${managerLabel(managers, view.leaderId)}) did not answer${leaderProblem ? ` (${leaderProblem})` : ""}: this is manager ${view.id}'s own view; lags are unknown`;
}
