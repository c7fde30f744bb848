import { awaitsScheduling } from "../model/unplaced.js";
import type { Task } from "@shoal/api";
import { isTerminal } from "@shoal/api";
import { updateOf, type Command, type StoreState } from "@shoal/store";
import { reconcileGlobal } from "./global.js";
import { reconcileReplicated, type NewTask } from "./replicated.js";
import { allocatePorts } from "../model/ports.js";
import { newTask } from "./new-task.js";
import { planRollout, rolloutHolds } from "./update.js";

/** What one orchestrator pass decides for the whole cluster. */
export interface OrchestratorPass {
  commands: Command[];
  /** When to look again (a restart delay or update delay ends), epoch ms. */
  wakeAt?: number;
}

const live = (t: Task): boolean => t.desiredState === "running" && !isTerminal(t.status.state);

/**
 * One pass of the orchestrator over the store. Pure. In order:
 * 1. tasks of removed services: deleted when they ended or never reached a node (or their node is down),
 *    otherwise told to stop (desired state `remove`);
 * 2. tasks on nodes that are down: marked orphaned (their slot is replaced at once); tasks on drained nodes:
 *    told to shut down (the agent stops them; the slot is replaced);
 * 3. tasks told to stop before they reached a node end at once (`shutdown`);
 * 4. each service's tasks are reconciled to its mode (replicas per slot, one per node for global) and
 *    restart policy, leaving alone the places a rolling update holds; a task that ended and gets a
 *    replacement is told to stop (desired state `shutdown`);
 * 5. the rolling update (update.ts) picks the next old tasks to replace, starts start-first replacements,
 *    and writes the service's update status (completed, paused, or a rollback to the previous spec).
 * Every update of an existing task is conditional on the version read, so a status report racing with this
 * pass makes the batch fail and the pass run again on fresh state rather than overwrite the report.
 */
export function orchestrate(state: StoreState, now: number, newId: () => string): OrchestratorPass {
  const commands: Command[] = [];
  const touched = new Set<string>();
  let wakeAt: number | undefined;
  const nodes = new Map(state.list("node").map((n) => [n.id, n]));
  const services = new Map(state.list("service").map((s) => [s.id, s]));
  const iso = new Date(now).toISOString();
  const update = (t: Task, change: Partial<Task>): void => {
    touched.add(t.id);
    commands.push(updateOf("task", t, change));
  };

  for (const t of state.list("task")) {
    const node = t.nodeId ? nodes.get(t.nodeId) : undefined;
    // Not placed yet: no node, or a global task its node has not passed the scheduler's filters for.
    const unplaced = !t.nodeId || awaitsScheduling(t);
    if (!services.has(t.serviceId)) {
      if (isTerminal(t.status.state) || unplaced || !node || node.status.state === "down") {
        touched.add(t.id);
        commands.push({ op: "delete", kind: "task", id: t.id, expectedVersion: t.version });
      } else if (t.desiredState !== "remove") update(t, { desiredState: "remove" });
      continue;
    }
    if (isTerminal(t.status.state)) continue;
    if (t.nodeId && (!node || node.status.state === "down")) {
      update(t, {
        desiredState: "shutdown",
        status: {
          state: "orphaned",
          timestamp: iso,
          message: node
            ? `node ${node.description.hostname} is down: task replaced`
            : "node was removed: task replaced",
        },
      });
    } else if (node && node.spec.availability === "drain" && t.desiredState === "running") {
      update(t, { desiredState: "shutdown" });
    } else if (unplaced && t.desiredState !== "running") {
      update(t, { status: { state: "shutdown", timestamp: iso, message: "stopped before it was scheduled" } });
    }
  }

  const nodeList = [...nodes.values()];
  for (const service of services.values()) {
    // Reconcile on the tasks as they will be after the changes above.
    const tasks = state
      .tasksOfService(service.id)
      .map((t) => (touched.has(t.id) ? applied(t, commands) : t))
      .filter((t): t is Task => !!t);
    const holds = rolloutHolds(service, tasks);
    const shutdown = new Set<string>(holds.stop);
    const effective = tasks.map((t) => (shutdown.has(t.id) ? { ...t, desiredState: "shutdown" as const } : t));
    const d =
      service.spec.mode.mode === "replicated"
        ? reconcileReplicated(service, effective, now, newId, holds)
        : reconcileGlobal(service, nodeList, effective, now, newId, holds);
    const creates: NewTask[] = [...d.create];
    for (const id of d.shutdown) shutdown.add(id);
    // The rolling update sees this pass's new tasks, so a replacement made now counts as in progress.
    const others = () => [...services.values()].filter((o) => o.id !== service.id);
    const made = creates.map((c) => ({ ...c, version: 0, createdAt: iso, updatedAt: iso }));
    const plan = planRollout(service, [...effective, ...made], now, (spec) => allocatePorts(spec, others(), service));
    for (const id of plan.stop) shutdown.add(id);
    for (const place of plan.startFirst)
      creates.push(
        newTask(
          service,
          newId(),
          now,
          place.startsWith("slot:") ? { slot: Number(place.slice(5)) } : { nodeId: place.slice(5) },
        ),
      );
    for (const at of [d.wakeAt, plan.wakeAt])
      if (at !== undefined) wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
    if (plan.change) {
      commands.push(updateOf("service", service, plan.change));
      // A rollback changes the spec: new tasks are made on the next pass, from the spec rolled back to.
      if (plan.change.spec) creates.length = 0;
    }
    for (const id of shutdown) {
      const t = state.get("task", id);
      if (t && !touched.has(id) && live(t)) update(t, { desiredState: "shutdown" });
    }
    for (const c of creates) {
      // A task that ended on its own and is now replaced is no longer desired to run (as in SwarmKit): the
      // reaper may then delete it, and counts of desired tasks stay right.
      for (const t of tasks) {
        const sameSlot = c.slot !== undefined ? t.slot === c.slot : t.nodeId === c.nodeId;
        if (sameSlot && !touched.has(t.id) && t.desiredState === "running" && isTerminal(t.status.state))
          update(t, { desiredState: "shutdown" });
      }
      commands.push({ op: "create", kind: "task", object: c });
    }
  }
  return { commands, ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

/** The task as the queued commands leave it (undefined once deleted). */
function applied(t: Task, commands: readonly Command[]): Task | undefined {
  let cur: Task | undefined = t;
  for (const c of commands) {
    if (c.kind !== "task") continue;
    if (c.op === "delete" && c.id === t.id) cur = undefined;
    else if (c.op === "update" && c.object.id === t.id && cur) cur = { ...cur, ...c.object };
  }
  return cur;
}
