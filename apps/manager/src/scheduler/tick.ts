import { updateOf, type Command, type StoreState } from "@shoal/store";
import { buildNodeInfos, explain, planPlacements } from "./plan.js";
import type { Placement } from "./filters.js";
import { stableJson } from "../model/stable-json.js";
import { isAllocated } from "../model/networks.js";

/**
 * One pass of the scheduler. Pure. Takes every task that waits for a node (state new or pending, desired
 * running, no node, an address on each of its networks), plans placements over all nodes, and returns the
 * commands: placed tasks become `assigned` to their node; the others become (or stay) `pending` with the per-node reasons and a summary.
 * A pending task whose reasons did not change is not rewritten, so an idle cluster writes nothing.
 */
export function schedule(state: StoreState, now: number): Command[] {
  const services = new Map(state.list("service").map((s) => [s.id, s]));
  const waiting: Placement[] = [];
  for (const t of state.list("task")) {
    if (t.nodeId || t.desiredState !== "running" || (t.status.state !== "new" && t.status.state !== "pending"))
      continue;
    // The allocator gives it its network addresses first.
    if (!isAllocated(state, t)) continue;
    const service = services.get(t.serviceId);
    if (service) waiting.push({ task: t, service });
  }
  if (waiting.length === 0) return [];
  // Oldest first, then by slot, so replicas fill in order.
  waiting.sort(
    (a, b) =>
      a.task.createdAt.localeCompare(b.task.createdAt) ||
      (a.task.slot ?? 0) - (b.task.slot ?? 0) ||
      a.task.id.localeCompare(b.task.id),
  );
  const nodes = state.list("node");
  const plan = planPlacements(waiting, buildNodeInfos(nodes, state.list("task"), services));
  const iso = new Date(now).toISOString();
  const commands: Command[] = [];
  const hostname = new Map(nodes.map((n) => [n.id, n.description.hostname]));
  for (const { task } of waiting) {
    const nodeId = plan.assignments.get(task.id);
    if (nodeId) {
      commands.push(
        updateOf("task", task, {
          nodeId,
          unschedulable: undefined,
          status: { state: "assigned", timestamp: iso, message: `scheduled on ${hostname.get(nodeId) ?? nodeId}` },
        }),
      );
      continue;
    }
    const refusals = plan.unschedulable.get(task.id) ?? [];
    const message = explain(refusals);
    if (
      task.status.state === "pending" &&
      task.status.message === message &&
      stableJson(task.unschedulable) === stableJson(refusals)
    )
      continue;
    commands.push(
      updateOf("task", task, {
        unschedulable: refusals,
        status: { state: "pending", timestamp: task.status.state === "pending" ? task.status.timestamp : iso, message },
      }),
    );
  }
  return commands;
}
