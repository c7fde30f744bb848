import type { Task } from "@shoal/api";
import type { Assignments, NetworkView, NodeRole } from "./messages.js";

/** The agent's view of its assignments in one session. */
export interface AssignmentSet {
  sessionId: string;
  seq: number;
  tasks: ReadonlyMap<string, Task>;
  /** The cluster's networks as far as they concern the node (empty until the managers send one). */
  network: NetworkView;
  /** The node's role (absent until the managers say). */
  node?: NodeRole;
}

/** A network view with nothing in it. */
export const EMPTY_NETWORK_VIEW: NetworkView = { networks: [], nodeAttachments: [], endpoints: [], services: [] };

/**
 * Applies an assignments message. Pure. Returns the new set, or `resync` when the message cannot be applied
 * (a delta for another session or out of sequence, or a delta before any full set): the agent must then get a
 * full set again and keep running what it has meanwhile.
 */
export function applyAssignments(
  current: AssignmentSet | undefined,
  msg: Assignments,
): { set: AssignmentSet } | { resync: string } {
  if (msg.type === "full") {
    if (current && current.sessionId === msg.sessionId && msg.seq <= current.seq)
      return { resync: `stale full set ${msg.seq} after ${current.seq}` };
    const node = msg.node ?? current?.node;
    return {
      set: {
        sessionId: msg.sessionId,
        seq: msg.seq,
        tasks: new Map(msg.tasks.map((t) => [t.id, t])),
        network: msg.network ?? current?.network ?? EMPTY_NETWORK_VIEW,
        ...(node ? { node } : {}),
      },
    };
  }
  if (!current) return { resync: "a delta before any full set" };
  if (current.sessionId !== msg.sessionId)
    return { resync: `a delta of session ${msg.sessionId}, not ${current.sessionId}` };
  if (msg.seq !== current.seq + 1) return { resync: `${msg.type} ${msg.seq} after ${current.seq}: messages were lost` };
  if (msg.type === "network") return { set: { ...current, seq: msg.seq, network: msg.network } };
  if (msg.type === "node") return { set: { ...current, seq: msg.seq, node: msg.node } };
  const tasks = new Map(current.tasks);
  for (const c of msg.changes) {
    if (c.op === "upsert") tasks.set(c.task.id, c.task);
    else tasks.delete(c.taskId);
  }
  return { set: { ...current, seq: msg.seq, tasks } };
}
