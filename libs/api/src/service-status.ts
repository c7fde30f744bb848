import type { Service } from "./service.js";
import type { Task } from "./task.js";

/** How many of a service's tasks run, how many should, and how many completed (as `service ls` counts them). */
export interface ServiceTaskCounts {
  runningTasks: number;
  desiredTasks: number;
  completedTasks: number;
}

/**
 * Counts a service's tasks: running ones that should run, the replicas wanted (a global service: its tasks that
 * should run), and completed ones. The API and the dashboard count the same way.
 */
export function serviceTaskCounts(
  s: Pick<Service, "spec">,
  tasks: readonly Pick<Task, "desiredState" | "status">[],
): ServiceTaskCounts {
  const running = tasks.filter((t) => t.desiredState === "running" && t.status.state === "running").length;
  const desired =
    s.spec.mode.mode === "replicated" ? s.spec.mode.replicas : tasks.filter((t) => t.desiredState === "running").length;
  const completed = tasks.filter((t) => t.status.state === "complete").length;
  return { runningTasks: running, desiredTasks: desired, completedTasks: completed };
}
