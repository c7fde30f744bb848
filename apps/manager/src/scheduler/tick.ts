import { updateOf, type Command, type StoreState } from "@shoal/store";
import { buildNodeInfos, explain, planPlacements, type Plan } from "./plan.js";
import { awaitsScheduling } from "../model/unplaced.js";
import type { Placement } from "./filters.js";
import { stableJson } from "../model/stable-json.js";
import { isAllocated } from "../model/networks.js";

/**
 * One pass of the scheduler. Pure. Takes every task that waits for a node (state new or pending, desired
 * running, an address on each of its networks), plans placements, and returns the commands: placed tasks
 * become `assigned` to their node; the others become (or stay) `pending` with the per-node reasons and a
 * summary. A global service's task comes with its node already: it is checked against that node alone (as
 * Swarm does), so a node without the resources or host port keeps it pending with the reason; those go
 * first, then the others over all nodes. A pending task whose reasons did not change is not rewritten, so an
 * idle cluster writes nothing.
 */
export function schedule(state: StoreState, now: number): Command[] {
  const services = new Map(state.list("service").map((s) => [s.id, s]));
  const waiting: Placement[] = [];
  for (const t of state.list("task")) {
    if (t.desiredState !== "running" || !awaitsScheduling(t)) continue;
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
  const infos = buildNodeInfos(nodes, state.list("task"), services);
  const plan: Plan = { assignments: new Map(), unschedulable: new Map() };
  // Preassigned (global) tasks first, each against its own node; the infos are shared, so what they take
  // counts for the tasks placed after them.
  for (const p of waiting.filter((w) => w.task.nodeId !== undefined)) {
    const own = infos.filter((n) => n.node.id === p.task.nodeId);
    merge(plan, planPlacements([p], own));
  }
  merge(
    plan,
    planPlacements(
      waiting.filter((w) => w.task.nodeId === undefined),
      infos,
    ),
  );
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

function merge(into: Plan, from: Plan): void {
  for (const [k, v] of from.assignments) into.assignments.set(k, v);
  for (const [k, v] of from.unschedulable) into.unschedulable.set(k, v);
}
