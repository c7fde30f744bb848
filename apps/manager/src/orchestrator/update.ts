import type { Service, Task } from "@shoal/api";
import { servicePorts } from "./new-task.js";

/** A stable JSON form (sorted keys) to compare specs. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Whether a task runs what the service asks for now (its template and published ports). */
export function isCurrent(service: Service, task: Task): boolean {
  return stableJson(task.spec) === stableJson(service.spec.taskTemplate) && stableJson(task.endpoint.ports) === stableJson(servicePorts(service));
}

/**
 * The rolling update: which live tasks of an outdated spec to stop now. Stop-first, `parallelism` slots at a
 * time (0: all at once): a slot counts as in progress while its replacement (a current task) has not reached
 * running. The orchestrator then replaces each stopped task in its slot. Pure.
 */
export function outdatedTasks(service: Service, liveTasks: readonly Task[]): string[] {
  const outdated = liveTasks.filter((t) => !isCurrent(service, t));
  if (outdated.length === 0) return [];
  const parallelism = service.spec.updateConfig.parallelism;
  if (parallelism === 0) return outdated.map((t) => t.id);
  const inProgress = liveTasks.filter((t) => isCurrent(service, t) && t.status.state !== "running").length;
  const room = Math.max(0, parallelism - inProgress);
  return outdated
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.id.localeCompare(b.id))
    .slice(0, room)
    .map((t) => t.id);
}
