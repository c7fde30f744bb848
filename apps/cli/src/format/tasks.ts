import type { Task } from "@shoal/api";
import { humanDuration } from "../args/units.js";
import { formatPorts } from "./ports.js";
import { capitalize, renderTable, shortId, truncate } from "./table.js";

/**
 * Why a pending task is not placed, in one line: the task's status message and the scheduler's per-node
 * reasons grouped by reason, e.g. `no suitable node: node availability is drain (n1, n2); needs 512 MiB memory
 * reserved, 128 MiB free (n3)`. Undefined when the task says nothing.
 */
export function explainPending(task: Task): string | undefined {
  const byReason = new Map<string, string[]>();
  for (const u of task.unschedulable ?? []) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.hostname]);
  const groups = [...byReason].map(
    ([reason, hosts]) =>
      `${reason} (${hosts.length > 3 ? `${hosts.slice(0, 3).join(", ")} and ${hosts.length - 3} more` : hosts.join(", ")})`,
  );
  const message = task.status.message;
  if (groups.length === 0) return message || undefined;
  return `${message || "no suitable node"}: ${groups.join("; ")}`;
}

/** What went wrong with a task, if anything: its error, or why it is pending. */
export function taskProblem(task: Task): string | undefined {
  if (task.status.err) return task.status.err;
  if (task.status.state === "pending") return explainPending(task);
  if (task.status.state === "failed" || task.status.state === "rejected") return task.status.message || undefined;
  return undefined;
}

/** A task's name: `<service>.<slot>`, or `<service>.<node id>` for a global service's task. */
export const taskName = (serviceName: string, t: Task): string => `${serviceName}.${t.slot ?? t.nodeId ?? t.id}`;

/** CURRENT STATE as Docker shows it: `Running 5 seconds ago`. */
export function currentState(t: Task, now: number): string {
  const ago = humanDuration(Math.max(0, now - Date.parse(t.status.timestamp))).toLowerCase();
  return `${capitalize(t.status.state)} ${ago} ago`;
}

/** Newest first: by creation time, then by version. */
const newestFirst = (a: Task, b: Task): number =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.version - a.version;

/**
 * The tasks in `service ps` order: slot by slot (node by node for global services), each slot's current task
 * first and its history under it. `history` is true for the older ones.
 */
export function psOrder(tasks: readonly Task[]): { task: Task; history: boolean }[] {
  const groups = new Map<string, Task[]>();
  for (const t of tasks) {
    const key = t.slot !== undefined ? `s${String(t.slot).padStart(8, "0")}` : `n${t.nodeId ?? t.id}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.keys()]
    .sort()
    .flatMap((k) => (groups.get(k) as Task[]).sort(newestFirst).map((task, i) => ({ task, history: i > 0 })));
}

/** What `service ps` needs besides the tasks. */
export interface PsContext {
  /** Service names by id (tasks of several services may be listed). */
  serviceNames: ReadonlyMap<string, string>;
  /** Node hostnames by id. */
  nodeNames: ReadonlyMap<string, string>;
  now: number;
  noTrunc: boolean;
}

const ERROR_WIDTH = 40;

/**
 * `service ps`: `ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR PORTS`, history tasks prefixed ` \_ `.
 * A pending task whose reason does not fit the ERROR column gets it in full on a line under the table.
 */
export function psTable(tasks: readonly Task[], ctx: PsContext): string {
  const notes: string[] = [];
  const rows = psOrder(tasks).map(({ task: t, history }) => {
    const name = taskName(ctx.serviceNames.get(t.serviceId) ?? shortId(t.serviceId), t);
    const problem = taskProblem(t);
    const error = problem === undefined ? "" : truncate(`"${problem}"`, ERROR_WIDTH, ctx.noTrunc);
    if (problem !== undefined && !history && t.status.state === "pending" && error.length < problem.length + 2)
      notes.push(`${name}: ${problem}`);
    return [
      shortId(t.id, ctx.noTrunc),
      history ? ` \\_ ${name}` : name,
      t.spec.container.image,
      t.nodeId ? (ctx.nodeNames.get(t.nodeId) ?? shortId(t.nodeId)) : "",
      capitalize(t.desiredState),
      currentState(t, ctx.now),
      error,
      formatPorts(t.endpoint.ports.filter((p) => p.publishMode === "host")),
    ];
  });
  const table = renderTable(["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"], rows);
  return notes.length === 0 ? table : `${table}\n${notes.map((n) => `${n}\n`).join("")}`;
}
