import type { Node } from "@shoal/api";

/** What the node monitor decides at one tick. */
export interface NodeMonitorDecision {
  /** Ready nodes whose heartbeats stopped: mark them down (their tasks are then replaced elsewhere). */
  down: { nodeId: string; message: string }[];
}

/**
 * Marks nodes down when they missed heartbeats. A node is down once `missed` heartbeat periods have passed
 * since its last heartbeat (Swarm waits about 15 s; Shoal's default period of 1 s with 3 missed makes it 3 s).
 * `lastHeartbeat` holds what this leader saw (epoch ms); a node this leader has not heard from since it took
 * over is measured from `leaderSince`, so a new leader does not mark every node down at once.
 */
export function checkHeartbeats(
  nodes: readonly Node[],
  lastHeartbeat: ReadonlyMap<string, number>,
  now: number,
  o: { periodMs: number; missed: number; leaderSince: number },
): NodeMonitorDecision {
  const grace = o.periodMs * o.missed;
  const down: NodeMonitorDecision["down"] = [];
  for (const n of nodes) {
    if (n.status.state !== "ready") continue;
    const last = Math.max(lastHeartbeat.get(n.id) ?? o.leaderSince, o.leaderSince);
    if (now - last > grace) {
      down.push({
        nodeId: n.id,
        message: `no heartbeat for ${Math.round((now - last) / 100) / 10} s (limit ${grace / 1000} s)`,
      });
    }
  }
  return { down };
}
