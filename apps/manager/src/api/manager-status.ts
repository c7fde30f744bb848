import type { Node } from "@shoal/api";
import type { Managers, RaftView } from "./raft-view.js";

/** The host of a `host:port` or `[v6]:port` address. */
function hostOf(addr: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(addr);
  if (v6?.[1]) return v6[1];
  const i = addr.lastIndexOf(":");
  return i < 0 ? addr : addr.slice(0, i);
}

/**
 * A node as `node ls` and `node inspect` show it: a manager node with its `managerStatus` (Docker's MANAGER
 * STATUS: Leader, Reachable, Unreachable) from this manager's Raft view. The Raft member is the manager
 * whose API address is on the node's address; a manager node with none (not yet joined, or demoted while its
 * record still says manager) is `unknown`. Workers are left as they are.
 */
export function withManagerStatus(node: Node, managers: Managers, view: RaftView): Node {
  if (node.spec.role !== "manager") return node;
  const m = managers.find((x) => hostOf(x.apiAddr) === node.status.addr);
  if (!m) return { ...node, managerStatus: { leader: false, reachability: "unknown", addr: "" } };
  return {
    ...node,
    managerStatus: {
      leader: m.raftId === view.leaderId,
      reachability: view.reachable.has(m.raftId) ? "reachable" : "unreachable",
      addr: m.apiAddr,
    },
  };
}
