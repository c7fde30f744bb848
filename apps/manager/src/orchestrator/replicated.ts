import type { Service, Task } from "@shoal/api";
import { isTerminal, TASK_STATES } from "@shoal/api";
import { newTask, type NewTask } from "./new-task.js";

export type { NewTask } from "./new-task.js";

/** What the orchestrator decides for one replicated service. */
export interface ReplicatedDecision {
  /** New tasks (state new, desired running), one per slot that needs one. */
  create: NewTask[];
  /** Ids of live tasks to stop (desired state shutdown): slots above the replica count. */
  shutdown: string[];
  /** The earliest time (epoch ms) a restart delay ends, when the orchestrator must look again. */
  wakeAt?: number;
  /** Slots that will not be restarted, and why (restart policy), for `service ps`. */
  notRestarted: { slot: number; reason: string }[];
}

/** Places (`slot:N`, `node:ID`) where a rolling update constrains the orchestrator (see update.ts). */
export interface UpdatePlaces {
  /** No new task yet: an old one is still stopping there. */
  readonly hold: ReadonlySet<string>;
  /** An old task and its start-first replacement both live there, on purpose. */
  readonly pairs: ReadonlySet<string>;
}
export const NO_PLACES: UpdatePlaces = { hold: new Set(), pairs: new Set() };

/**
 * Reconciles a replicated service's tasks toward its replica count and restart policy. Pure: `now` is the
 * time, `newId` makes task ids. Per slot 1..replicas:
 * - a slot whose latest task is desired running and not terminal is fine (it runs, or is on its way);
 * - a slot with no task gets one;
 * - a slot whose latest task ended gets a new one if the restart policy allows it (condition `any`, or
 *   `on-failure` and it failed; fewer than `maxAttempts` restarts in the window) once `delayMs` has passed
 *   since it ended; before that, `wakeAt` says when to look again.
 * Live tasks in slots above the replica count are shut down, highest slot first. `update` names the slots a
 * rolling update holds (an old task still stopping) or pairs (start-first), which are left alone.
 */
export function reconcileReplicated(
  service: Service,
  tasks: readonly Task[],
  now: number,
  newId: () => string,
  update: UpdatePlaces = NO_PLACES,
): ReplicatedDecision {
  const decision: ReplicatedDecision = { create: [], shutdown: [], notRestarted: [] };
  if (service.spec.mode.mode !== "replicated") return decision;
  const replicas = service.spec.mode.replicas;
  const bySlot = new Map<number, Task[]>();
  for (const t of tasks) {
    if (t.serviceId !== service.id || t.slot === undefined) continue;
    const list = bySlot.get(t.slot) ?? [];
    list.push(t);
    bySlot.set(t.slot, list);
  }
  for (const list of bySlot.values())
    list.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));

  for (let slot = 1; slot <= replicas; slot++) {
    const history = bySlot.get(slot) ?? [];
    const latest = history[history.length - 1];
    // A slot with a live task (desired running, not ended) is fine, whatever order the history sorts in. Two
    // live tasks in one slot (never made on purpose) are cut back to the most advanced one.
    const live = history.filter((t) => t.desiredState === "running" && !isTerminal(t.status.state));
    // A start-first update runs the old task beside its replacement until the replacement runs.
    if (update.pairs.has(`slot:${slot}`)) continue;
    if (live.length > 0) {
      const keep = live.reduce((a, b) =>
        TASK_STATES.indexOf(b.status.state) > TASK_STATES.indexOf(a.status.state) ? b : a,
      );
      for (const t of live) if (t !== keep) decision.shutdown.push(t.id);
      continue;
    }
    // A stop-first update's old task is still stopping: its replacement waits for it.
    if (update.hold.has(`slot:${slot}`)) continue;
    if (!latest) {
      decision.create.push(newTask(service, newId(), now, { slot }));
      continue;
    }
    // The latest task ended (or was told to stop): may the slot restart?
    const policy = latest.spec.restartPolicy;
    const failed = latest.status.state === "failed" || latest.status.state === "rejected";
    const stoppedByUs = latest.desiredState !== "running";
    if (!stoppedByUs) {
      if (policy.condition === "none") {
        decision.notRestarted.push({ slot, reason: "restart condition is none" });
        continue;
      }
      if (policy.condition === "on-failure" && !failed) {
        decision.notRestarted.push({ slot, reason: "completed successfully; restart condition is on-failure" });
        continue;
      }
      if (policy.maxAttempts > 0) {
        const since = policy.windowMs > 0 ? now - policy.windowMs : -Infinity;
        // Every ended task of the slot after its first counts as one restart.
        const restarts = history.slice(1).filter((t) => Date.parse(t.createdAt) >= since).length;
        if (restarts >= policy.maxAttempts) {
          decision.notRestarted.push({ slot, reason: `reached the restart limit of ${policy.maxAttempts} attempts` });
          continue;
        }
      }
      const endedAt = Date.parse(latest.status.timestamp);
      if (now < endedAt + policy.delayMs) {
        const at = endedAt + policy.delayMs;
        decision.wakeAt = decision.wakeAt === undefined ? at : Math.min(decision.wakeAt, at);
        continue;
      }
    }
    decision.create.push(newTask(service, newId(), now, { slot }));
  }

  const extra = [...bySlot.entries()].filter(([slot]) => slot > replicas).sort(([a], [b]) => b - a);
  for (const [, list] of extra) {
    for (const t of list) if (t.desiredState === "running" && !isTerminal(t.status.state)) decision.shutdown.push(t.id);
  }
  return decision;
}
