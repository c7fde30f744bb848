import type { ClusterStatus } from "@shoal/api";
import { renderTable } from "./table.js";

/**
 * `cluster status`: a line on the leader, term, commit index and quorum; a table of the managers (`*` after
 * the one that answered) with their role, MANAGER STATUS as Docker words it (Leader, Reachable, Unreachable)
 * and lag in entries behind the leader; then the warning, if any.
 */
export function clusterStatusText(s: ClusterStatus): string {
  const voters = s.managers.filter((m) => m.role === "voter").length;
  const leader = s.leaderId === undefined ? "none" : `${s.leaderId}${s.leaderApiAddr ? ` at ${s.leaderApiAddr}` : ""}`;
  const head = `Leader: ${leader}   Term: ${s.term}   Commit index: ${s.commitIndex}   Quorum: ${s.quorum} of ${voters} voter${voters === 1 ? "" : "s"}\n\n`;
  const rows = s.managers.map((m) => [
    `${m.raftId}${m.raftId === s.answeredBy.raftId ? " *" : ""}`,
    m.apiAddr ?? "-",
    m.role,
    m.leader ? "Leader" : m.reachable ? "Reachable" : "Unreachable",
    m.lag === undefined ? "-" : String(m.lag),
  ]);
  const table = renderTable(["ID", "API ADDRESS", "ROLE", "MANAGER STATUS", "LAG"], rows);
  return `${head}${table}${s.warning ? `\nWarning: ${s.warning}\n` : ""}`;
}
