import type { Node, Service, Task } from "@shoal/api";
import { isTerminal } from "@shoal/api";
import { unmetConstraint } from "../model/constraints.js";
import { newTask, type NewTask } from "./new-task.js";
import { NO_PLACES, type UpdatePlaces } from "./replicated.js";

/** What the orchestrator decides for one global service. */
export interface GlobalDecision {
  /** One new task per eligible node that has none live. */
  create: NewTask[];
  /** Live tasks on nodes that are no longer eligible (drained, down, removed, constraints unmet). */
  shutdown: string[];
  /** The earliest time (epoch ms) a restart delay ends, when the orchestrator must look again. */
  wakeAt?: number;
}

/**
 * Reconciles a global service: one live task on every ready, active node that meets the placement
 * constraints; tasks on other nodes are shut down. New tasks carry their node already (no scheduling).
 * Restart delays of ended tasks are honoured like the replicated orchestrator's: an ended task's node gets a
 * new one only once `delayMs` has passed since it ended, unless the policy says never. A node where a rolling
 * update's old task is still stopping (`update.hold`) gets its new task once it has stopped.
 */
export function reconcileGlobal(
  service: Service,
  nodes: readonly Node[],
  tasks: readonly Task[],
  now: number,
  newId: () => string,
  update: UpdatePlaces = NO_PLACES,
): GlobalDecision {
  const decision: GlobalDecision = { create: [], shutdown: [] };
  if (service.spec.mode.mode !== "global") return decision;
  const eligible = new Set(
    nodes
      .filter((n) => n.status.state === "ready" && n.spec.availability === "active")
      .filter((n) => unmetConstraint(service.spec.taskTemplate.placement.constraints, n) === undefined)
      .map((n) => n.id),
  );
  const byNode = new Map<string, Task[]>();
  for (const t of tasks) {
    if (t.serviceId !== service.id || !t.nodeId) continue;
    const list = byNode.get(t.nodeId) ?? [];
    list.push(t);
    byNode.set(t.nodeId, list);
  }
  for (const [nodeId, list] of byNode) {
    if (eligible.has(nodeId)) continue;
    for (const t of list) if (t.desiredState === "running" && !isTerminal(t.status.state)) decision.shutdown.push(t.id);
  }
  for (const nodeId of [...eligible].sort()) {
    const list = (byNode.get(nodeId) ?? []).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const latest = list[list.length - 1];
    if (list.some((t) => t.desiredState === "running" && !isTerminal(t.status.state))) continue;
    // A stop-first update's old task is still stopping here: its replacement waits for it.
    if (update.hold.has(`node:${nodeId}`)) continue;
    if (latest && latest.desiredState === "running") {
      const policy = latest.spec.restartPolicy;
      if (policy.condition === "none") continue;
      if (policy.condition === "on-failure" && latest.status.state === "complete") continue;
      const at = Date.parse(latest.status.timestamp) + policy.delayMs;
      if (now < at) {
        decision.wakeAt = decision.wakeAt === undefined ? at : Math.min(decision.wakeAt, at);
        continue;
      }
    }
    decision.create.push(newTask(service, newId(), now, { nodeId }));
  }
  return decision;
}
