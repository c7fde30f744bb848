import { canTransition, isTerminal, type Task, type TaskState } from "@shoal/api";

/** What the agent sees of a task's container. */
export interface LocalContainer {
  status: "created" | "running" | "stopped";
  exitCode?: number;
  oomKilled: boolean;
  /** Why the runtime could not tell how it ended (its shim was lost). */
  error?: string;
  health?: "starting" | "healthy" | "unhealthy";
  /** The last health probe's output. */
  healthOutput?: string;
}

/** The node's side of a reconcile pass. */
export interface LocalView {
  /** Containers that carry Shoal's task label, by task id (container id = task id). */
  containers: ReadonlyMap<string, LocalContainer>;
  /** Task ids with a network attachment. */
  attached: ReadonlySet<string>;
  /** The furthest state this agent reported per task (the managers' recorded state is in the task). */
  reported: ReadonlyMap<string, TaskState>;
  /** Tasks an action is under way for: left alone until the next pass. */
  busy: ReadonlySet<string>;
  /**
   * A full assignment set came in the current session and the bus is up. Only then may containers and
   * attachments of tasks that are not assigned be removed: before that the agent cannot tell an orphan from a
   * task it has not been told about yet.
   */
  mayRemoveUnassigned: boolean;
}

/** A status to report (the timestamp is added when it is sent). */
export interface ReportStatus {
  state: TaskState;
  message: string;
  err?: string;
  exitCode?: number;
  containerId?: string;
}

/**
 * What to do for one task. Invariant: at most one action per task per pass, and actions of one task run one
 * after another (the caller marks it busy).
 */
export type Action =
  /** Prepare and start it: image, network, container (`create` false: it exists, created but never started). */
  | { type: "run"; task: Task; create: boolean }
  | { type: "report"; taskId: string; status: ReportStatus }
  /** Stop the container (stop signal, then SIGKILL after `graceMs`), then report `then` if given. */
  | { type: "stop"; taskId: string; graceMs: number; then?: ReportStatus }
  /** The task is no longer assigned: stop and remove its container, detach it from the network. */
  | { type: "remove"; taskId: string; container: boolean; attached: boolean };

/** The later of two states in the task lifecycle (`a` when neither follows the other). */
export function furthest(a: TaskState | undefined, b: TaskState): TaskState {
  if (a === undefined) return b;
  return canTransition(a, b) ? b : a;
}

/** Whether reporting `to` moves a task forward from `from` (a repeat of the same state does not). */
export function movesForward(from: TaskState, to: TaskState): boolean {
  return from !== to && canTransition(from, to);
}

/** How an exited container's task ended: complete on exit 0, else failed with the reason. */
export function exitStatus(taskId: string, c: LocalContainer): ReportStatus {
  const base = { containerId: taskId, ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }) };
  if (c.error) return { ...base, state: "failed", message: "container ended", err: c.error };
  if (c.oomKilled) return { ...base, state: "failed", message: "container ended", err: "OOM killed" };
  if (c.exitCode === 0) return { ...base, state: "complete", message: "finished" };
  return {
    ...base,
    state: "failed",
    message: "container ended",
    err: c.exitCode === undefined ? "exited without an exit code" : `exit code ${c.exitCode}`,
  };
}

/**
 * The agent's reconcile core: from the assigned tasks (the desired state) and what runs on the node, the
 * actions that move the node toward the assignments. Pure. Rules:
 *
 * - assigned, desired running, no container: run it; a container that is `created` only: start it.
 * - running container whose task the managers think is not running yet (an agent restart): report running,
 *   never restart it. Unhealthy: stop it and report failed.
 * - container exited by itself: report complete or failed; never restart it (the managers replace the task).
 * - desired past running: stop a running container and report shutdown; the container stays (for its logs)
 *   while the task is assigned.
 * - a task that has ended is never run again; a running container of an ended task is stopped.
 * - not assigned (removed from the set, or an orphan after an agent restart): remove its container and
 *   attachment, only when {@link LocalView.mayRemoveUnassigned}.
 * - reports only move a task forward from the furthest state known (the agent's or the managers').
 */
export function reconcile(assigned: ReadonlyMap<string, Task>, local: LocalView): Action[] {
  const actions: Action[] = [];
  for (const [id, task] of assigned) {
    if (local.busy.has(id)) continue;
    const action = decide(task, furthest(local.reported.get(id), task.status.state), local.containers.get(id));
    if (action) actions.push(action);
  }
  if (local.mayRemoveUnassigned) {
    for (const id of new Set([...local.containers.keys(), ...local.attached])) {
      if (assigned.has(id) || local.busy.has(id)) continue;
      actions.push({
        type: "remove",
        taskId: id,
        container: local.containers.has(id),
        attached: local.attached.has(id),
      });
    }
  }
  return actions;
}

function decide(task: Task, known: TaskState, c: LocalContainer | undefined): Action | undefined {
  const report = (status: ReportStatus): Action | undefined =>
    movesForward(known, status.state) ? { type: "report", taskId: task.id, status } : undefined;
  const graceMs = task.spec.container.stopGracePeriodMs;
  if (isTerminal(task.desiredState)) {
    if (c?.status === "running")
      return {
        type: "stop",
        taskId: task.id,
        graceMs,
        then: { state: "shutdown", message: "shut down", containerId: task.id },
      };
    if (c?.status === "stopped") return report(exitStatus(task.id, c));
    return report({ state: "shutdown", message: c ? "shut down before it started" : "shut down before it ran" });
  }
  if (isTerminal(known)) {
    // It has ended, or the managers gave it up: it never runs again.
    return c?.status === "running" ? { type: "stop", taskId: task.id, graceMs } : undefined;
  }
  if (!c) {
    if (canTransition("starting", known)) {
      return report({
        state: "failed",
        message: "container missing",
        err: `the container of task ${task.id} is gone from the node`,
      });
    }
    return { type: "run", task, create: true };
  }
  switch (c.status) {
    case "created":
      return { type: "run", task, create: false };
    case "running":
      if (c.health === "unhealthy") {
        return {
          type: "stop",
          taskId: task.id,
          graceMs,
          then: {
            state: "failed",
            message: "unhealthy container stopped",
            err: `unhealthy: ${c.healthOutput ?? ""}`.trimEnd(),
            containerId: task.id,
          },
        };
      }
      return report({ state: "running", message: "started", containerId: task.id });
    case "stopped":
      return report(exitStatus(task.id, c));
  }
}
