import type { Node } from "@shoal/api";
import { capitalize, renderTable, shortId } from "./table.js";

/** MANAGER STATUS as Docker shows it: Leader, Reachable, Unreachable, or empty for workers. */
export function managerStatus(n: Node): string {
  if (!n.managerStatus) return "";
  if (n.managerStatus.leader) return "Leader";
  return capitalize(n.managerStatus.reachability);
}

/** `node ls`: `ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS`, `*` after the id of the node answering (self). */
export function nodeTable(nodes: readonly Node[], self?: string): string {
  const rows = [...nodes]
    .sort((a, b) => a.description.hostname.localeCompare(b.description.hostname))
    .map((n) => [
      `${shortId(n.id)}${n.id === self ? " *" : ""}`,
      n.description.hostname,
      capitalize(n.status.state),
      capitalize(n.spec.availability),
      managerStatus(n),
    ]);
  return renderTable(["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"], rows);
}
