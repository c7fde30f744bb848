import type { Task } from "@shoal/api";

/**
 * Whether a task has not been placed yet: new or pending. A global service's task names its node from the
 * start (as Swarm's do), but holds nothing there and is not sent to it until the scheduler has checked that
 * node's resources and ports and assigned it.
 */
export function awaitsScheduling(t: Pick<Task, "status">): boolean {
  return t.status.state === "new" || t.status.state === "pending";
}
