import { z } from "zod";

/**
 * Task states, in the only order a task may move through them (SwarmKit's model). NEW to ASSIGNED happen on
 * the managers, ACCEPTED to RUNNING on the agent; the last six are terminal. A task never moves backwards: a
 * replacement is a new task in the same slot.
 */
export const TASK_STATES = [
  "new",
  "pending",
  "assigned",
  "accepted",
  "preparing",
  "ready",
  "starting",
  "running",
  "complete",
  "shutdown",
  "failed",
  "rejected",
  "remove",
  "orphaned",
] as const;

export const TaskStateSchema = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskStateSchema>;

const RANK: Readonly<Record<TaskState, number>> = Object.fromEntries(
  TASK_STATES.map((s, i) => [s, Math.min(i, TASK_STATES.indexOf("complete"))]),
) as Record<TaskState, number>;

/** Whether a task in `state` has ended (and will never run again). */
export function isTerminal(state: TaskState): boolean {
  return RANK[state] >= RANK.complete;
}

/**
 * Whether a task may go from `from` to `to`: forwards only, never out of a terminal state, and staying in the
 * same state is allowed (a repeated status report).
 */
export function canTransition(from: TaskState, to: TaskState): boolean {
  if (from === to) return true;
  if (isTerminal(from)) return false;
  return RANK[to] > RANK[from];
}
