import { isTerminal, type Task } from "@shoal/api";
import type { StoreEvent, StoreState } from "@shoal/store";
import { isAllocated } from "../model/networks.js";
import { buildNodeInfos } from "../scheduler/plan.js";

/** What a command prints when it changed nothing. */
const NO_CHANGE = "(no change)";

/** A task's name as `service ps` shows it: `web.2` (slot 2), or `agent.n1` for a global service's task on n1. */
export function taskName(state: StoreState, t: Task): string {
  const service = state.get("service", t.serviceId)?.spec.name ?? t.serviceId;
  return `${service}.${t.slot ?? t.nodeId ?? t.id}`;
}

/** Sorts by service name, then slot numerically, then node. */
function byName(state: StoreState): (a: Task, b: Task) => number {
  return (a, b) => {
    const [sa, sb] = [a, b].map((t) => state.get("service", t.serviceId)?.spec.name ?? t.serviceId);
    return (
      (sa ?? "").localeCompare(sb ?? "") ||
      (a.slot ?? 0) - (b.slot ?? 0) ||
      (a.nodeId ?? "").localeCompare(b.nodeId ?? "")
    );
  };
}

function describeTaskEvent(state: StoreState, e: StoreEvent & { kind: "task" }): string | undefined {
  const t = e.object;
  const name = taskName(state, t);
  if (e.op === "create") return `create ${name}${t.nodeId ? ` on ${t.nodeId} (${t.status.state})` : ""}`;
  if (e.op === "delete") return `delete ${name}`;
  const p = e.previous;
  if (!p) return undefined;
  if (t.nodeId !== p.nodeId) return `${name} -> ${t.nodeId ?? "no node"}`;
  if (t.status.state === "pending" && (p.status.state !== "pending" || p.status.message !== t.status.message))
    return `${name} pending: ${t.status.message}`;
  const parts: string[] = [];
  const nets = new Map(state.list("network").map((n) => [n.id, n.spec.name]));
  for (const a of t.networks) {
    if (!p.networks.some((b) => b.networkId === a.networkId))
      parts.push(`${a.addresses.join(" ")} on ${nets.get(a.networkId) ?? a.networkId}`);
  }
  if (t.status.state !== p.status.state) parts.push(t.status.state);
  if (t.desiredState !== p.desiredState) parts.push(`desired ${t.desiredState}`);
  const why = t.status.message !== p.status.message && t.status.message !== "" ? ` (${t.status.message})` : "";
  return parts.length === 0 && why === ""
    ? undefined
    : `${name}${t.nodeId ? ` on ${t.nodeId}` : ""}: ${parts.join(", ")}${why}`;
}

/** One line per task a batch created, deleted or changed, in the batch's order; other objects are left out. */
export function describeEvents(state: StoreState, events: readonly StoreEvent[]): string {
  const lines = events
    .flatMap((e) => (e.kind === "task" ? [describeTaskEvent(state, e)] : []))
    .filter((l) => l !== undefined);
  return lines.length === 0 ? NO_CHANGE : lines.join("\n");
}

/**
 * Every node (by id) with its state, availability, role, labels and reserved/total resources, and under it its
 * live tasks; then the live tasks on no node.
 */
export function describeNodes(state: StoreState): string {
  const tasks = state
    .list("task")
    .filter((t) => !isTerminal(t.status.state))
    .sort(byName(state));
  const show = (t: Task): string =>
    `  ${taskName(state, t)} ${t.status.state}${t.desiredState === "running" ? "" : `, desired ${t.desiredState}`}`;
  const services = new Map(state.list("service").map((s) => [s.id, s]));
  const lines: string[] = [];
  for (const info of buildNodeInfos(state.list("node"), state.list("task"), services)) {
    const n = info.node;
    const labels = Object.entries(n.spec.labels)
      .sort()
      .map(([k, v]) => `${k}=${v}`);
    const { cpus, memoryBytes } = n.description.resources;
    lines.push(
      `node ${n.id}: ${n.description.hostname} ${n.status.state} ${n.spec.availability} ${n.spec.role}` +
        (labels.length > 0 ? ` labels=(${labels.join(", ")})` : "") +
        ` cpus=${info.reservedCpus}/${cpus} memory=${info.reservedMemoryBytes / 2 ** 20}/${memoryBytes / 2 ** 20}MiB`,
    );
    const mine = tasks.filter((t) => t.nodeId === n.id);
    lines.push(...(mine.length > 0 ? mine.map(show) : ["  (no tasks)"]));
  }
  const unplaced = tasks.filter((t) => t.nodeId === undefined);
  if (unplaced.length > 0) lines.push("no node:", ...unplaced.map(show));
  return lines.join("\n");
}

/**
 * Why each task that waits for a node is not placed, as the last scheduler pass wrote it: the summary
 * `service ps` shows, then each node's reason. Tasks the scheduler has not seen yet say why.
 */
export function explainPending(state: StoreState): string {
  const waiting = state
    .list("task")
    .filter(
      (t) =>
        t.nodeId === undefined &&
        t.desiredState === "running" &&
        (t.status.state === "new" || t.status.state === "pending"),
    )
    .sort(byName(state));
  if (waiting.length === 0) return "(no task waits for a node)";
  return waiting
    .flatMap((t) => {
      const name = taskName(state, t);
      if (!isAllocated(state, t)) return [`${name}: waiting for its network addresses`];
      if (t.unschedulable === undefined) return [`${name}: not scheduled yet`];
      return [`${name}: ${t.status.message}`, ...t.unschedulable.map((r) => `  ${r.nodeId}: ${r.reason}`)];
    })
    .join("\n");
}
