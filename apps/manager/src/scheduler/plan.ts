import type { Node, Service, Task } from "@shoal/api";
import { isTerminal } from "@shoal/api";
import { nodeAttribute } from "../model/constraints.js";
import { awaitsScheduling } from "../model/unplaced.js";
import { FILTERS, type Filter, type NodeInfo, type Placement } from "./filters.js";

/** Why one node could not take a task. */
export interface Refusal {
  nodeId: string;
  hostname: string;
  reason: string;
}

/** The scheduler's decisions for one batch of pending tasks. */
export interface Plan {
  /** Task id -> node id. */
  assignments: Map<string, string>;
  /** Task id -> why each node refused it, for tasks no node could take. */
  unschedulable: Map<string, Refusal[]>;
}

/**
 * What the scheduler needs to know of each node: reservations, host ports and task counts of the tasks placed
 * on it that are still live (not terminal, or desired to run).
 */
export function buildNodeInfos(
  nodes: readonly Node[],
  tasks: readonly Task[],
  services: ReadonlyMap<string, Service>,
): NodeInfo[] {
  const infos = new Map<string, NodeInfo>(
    nodes.map((node) => [
      node.id,
      { node, reservedCpus: 0, reservedMemoryBytes: 0, hostPorts: new Set(), tasksByService: new Map(), taskCount: 0 },
    ]),
  );
  for (const t of tasks) {
    // A global task waiting for its node to pass the filters (new, pending) holds nothing there yet.
    if (!t.nodeId || isTerminal(t.status.state) || awaitsScheduling(t)) continue;
    const info = infos.get(t.nodeId);
    if (info) take(info, { task: t, service: services.get(t.serviceId) });
  }
  return [...infos.values()].sort((a, b) => (a.node.id < b.node.id ? -1 : 1));
}

/**
 * Places pending tasks, one at a time in the given order. A node must pass every filter; among those that do,
 * placement preferences (spread over a node label) narrow the choice, then the node with the fewest tasks of
 * the same service, then the fewest tasks in all, then the lowest id (so the plan is deterministic). Each
 * placement updates the node's counts before the next task is placed. Pure: the caller commits the plan.
 */
export function planPlacements(
  pending: readonly Placement[],
  nodes: readonly NodeInfo[],
  filters: readonly Filter[] = FILTERS,
): Plan {
  const plan: Plan = { assignments: new Map(), unschedulable: new Map() };
  for (const p of pending) {
    const refusals: Refusal[] = [];
    let candidates: NodeInfo[] = [];
    for (const n of nodes) {
      const reason = firstRefusal(filters, p, n);
      if (reason) refusals.push({ nodeId: n.node.id, hostname: n.node.description.hostname, reason });
      else candidates.push(n);
    }
    if (candidates.length === 0) {
      plan.unschedulable.set(p.task.id, refusals);
      continue;
    }
    for (const pref of p.task.spec.placement.preferences)
      candidates = spreadOver(candidates, pref.spread, p.task.serviceId);
    const best = candidates.reduce((a, b) => (better(b, a, p.task.serviceId) ? b : a));
    plan.assignments.set(p.task.id, best.node.id);
    take(best, p);
  }
  return plan;
}

/** A one-line summary of why a task is pending, for `service ps`: "no suitable node (2 drain, 1 ...)". */
export function explain(refusals: readonly Refusal[]): string {
  if (refusals.length === 0) return "no suitable node: the cluster has no nodes";
  const counts = new Map<string, number>();
  for (const r of refusals) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  const parts = [...counts].map(([reason, n]) => `${n} node${n === 1 ? "" : "s"}: ${reason}`);
  return `no suitable node (${parts.join("; ")})`;
}

function firstRefusal(filters: readonly Filter[], p: Placement, n: NodeInfo): string | undefined {
  for (const f of filters) {
    const reason = f.check(p, n);
    if (reason) return reason;
  }
  return undefined;
}

function better(a: NodeInfo, b: NodeInfo, serviceId: string): boolean {
  const sa = a.tasksByService.get(serviceId) ?? 0;
  const sb = b.tasksByService.get(serviceId) ?? 0;
  if (sa !== sb) return sa < sb;
  if (a.taskCount !== b.taskCount) return a.taskCount < b.taskCount;
  return a.node.id < b.node.id;
}

/**
 * Keeps the candidates whose label value has the fewest tasks of the service. Nodes without the label form a
 * group of their own, as in Swarm.
 */
function spreadOver(candidates: NodeInfo[], key: string, serviceId: string): NodeInfo[] {
  const perValue = new Map<string, number>();
  for (const n of candidates) {
    const v = nodeAttribute(n.node, key) ?? "";
    perValue.set(v, (perValue.get(v) ?? 0) + (n.tasksByService.get(serviceId) ?? 0));
  }
  const min = Math.min(...perValue.values());
  return candidates.filter((n) => perValue.get(nodeAttribute(n.node, key) ?? "") === min);
}

function take(info: NodeInfo, p: { task: Task; service: Service | undefined }): void {
  const r = p.task.spec.resources.reservations;
  info.reservedCpus += r.cpus ?? 0;
  info.reservedMemoryBytes += r.memoryBytes ?? 0;
  info.tasksByService.set(p.task.serviceId, (info.tasksByService.get(p.task.serviceId) ?? 0) + 1);
  info.taskCount++;
  for (const port of p.service?.spec.endpoint.ports ?? []) {
    if (port.publishMode === "host" && port.publishedPort !== undefined)
      info.hostPorts.add(`${port.publishedPort}/${port.protocol}`);
  }
}
