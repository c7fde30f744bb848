import { isTerminal, type Service, type Task } from "@shoal/api";
import { stableJson } from "../model/stable-json.js";
import { servicePorts } from "./new-task.js";

/** Whether a task runs what the service asks for now (its template and published ports). */
export function isCurrent(service: Service, task: Task): boolean {
  return currentTest(service)(task);
}

/** {@link isCurrent} for many tasks of one service: the service's side is serialised once. */
function currentTest(service: Service): (task: Task) => boolean {
  const template = stableJson(service.spec.taskTemplate);
  const ports = stableJson(servicePorts(service));
  return (task) => stableJson(task.spec) === template && stableJson(task.endpoint.ports) === ports;
}

/** A task's place in its service: its slot (replicated) or its node (global). */
export const placeOf = (t: Pick<Task, "slot" | "nodeId">): string =>
  t.slot !== undefined ? `slot:${t.slot}` : `node:${t.nodeId ?? ""}`;

type UpdateStatus = NonNullable<Service["updateStatus"]>;

/** What the rolling update decides for one service in one orchestrator pass. */
export interface Rollout {
  /** Live tasks of an older spec to stop now. */
  stop: string[];
  /** Places where no new task may start yet: an old task is still stopping there (stop-first). */
  hold: Set<string>;
  /** Places that get a current task now while the old one keeps running (start-first). */
  startFirst: Set<string>;
  /** Places where an old task and its start-first replacement both live until the replacement runs. */
  pairs: Set<string>;
  /** A change of the service to write: its update status, or a rollback to the previous spec. */
  change?: Partial<Pick<Service, "updateStatus" | "spec" | "previousSpec" | "endpoint">>;
  /** When to look again: the update delay or the monitor period ends. */
  wakeAt?: number;
}

const live = (t: Task): boolean => t.desiredState === "running" && !isTerminal(t.status.state);
const bySlotOrNode = (a: Task, b: Task): number =>
  (a.slot ?? 0) - (b.slot ?? 0) || (a.nodeId ?? "").localeCompare(b.nodeId ?? "") || a.id.localeCompare(b.id);

/**
 * A task of the update that ended on its own: failed or rejected, or (for a service meant to keep running)
 * exited at all. Stopped by us (shutdown), or lost with its node (orphaned), is not the new spec's fault.
 */
function failedOnItsOwn(t: Task): boolean {
  if (t.status.state === "failed" || t.status.state === "rejected") return true;
  return t.status.state === "complete" && t.spec.restartPolicy.condition === "any";
}

/** A finished rollback keeps saying why it happened when it was the update's failure that started it. */
const rollbackDone = (why: string | undefined): string =>
  why?.startsWith("update rolled back:") ? `${why}; rollback completed` : "rollback completed";

/** The places a pass must leave alone, found from the tasks alone (before new tasks are made). */
export type Holds = Pick<Rollout, "stop" | "hold" | "pairs">;

/**
 * Where the update constrains the orchestrator this pass: places whose old task is still stopping (no new
 * task may start there yet), places where an old task and its start-first replacement both live, and old
 * tasks to stop now because their start-first replacement runs. Pure.
 */
export function rolloutHolds(service: Service, tasks: readonly Task[]): Holds {
  const h: Holds = { stop: [], hold: new Set(), pairs: new Set() };
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const current = currentTest(service);
  for (const t of mine) if (!live(t) && !isTerminal(t.status.state) && !current(t)) h.hold.add(placeOf(t));
  const currentByPlace = new Map(mine.filter((t) => live(t) && current(t)).map((t) => [placeOf(t), t]));
  for (const t of mine) {
    if (!live(t) || current(t)) continue;
    const next = currentByPlace.get(placeOf(t));
    if (!next) continue;
    if (next.status.state === "running") h.stop.push(t.id);
    else h.pairs.add(placeOf(t));
  }
  return h;
}

/**
 * The rolling update of one service, as Swarm does it. Pure. Tasks whose template or published ports differ
 * from the service's spec are outdated; they are replaced `parallelism` places at a time (0: all at once):
 * - stop-first (default): the old task is stopped and its replacement starts only once it has stopped, so a
 *   place never runs two tasks;
 * - start-first: the replacement starts beside the old task, which is stopped once the replacement runs.
 * A place counts as in progress until its replacement runs; after each batch the next waits `delayMs`.
 * A task of the update that fails (or exits, for a service meant to keep running) counts against
 * `maxFailureRatio` of the places updated; past it, `failureAction` pauses the update, goes on, or rolls the
 * service back to its previous spec (the rollback uses `rollbackConfig`; a failing rollback pauses). The
 * update completes once every place runs a current task and the last replacement has run for `monitorMs`.
 * `tasks` includes the tasks this pass creates, so a replacement made this pass counts as in progress. `now`
 * is the time; `ports` gives the published ports of the previous spec for a rollback (or throws).
 */
export function planRollout(
  service: Service,
  tasks: readonly Task[],
  now: number,
  ports?: (spec: Service["spec"]) => Service["endpoint"]["ports"],
): Rollout {
  const r: Rollout = { ...rolloutHolds(service, tasks), startFirst: new Set() };
  const current = currentTest(service);
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const status = service.updateStatus;
  const rollingBack = status?.state === "rollback_started" || status?.state === "rollback_paused";
  const cfg = rollingBack ? service.spec.rollbackConfig : service.spec.updateConfig;
  const outdatedLive = mine.filter((t) => live(t) && !current(t));
  const currentLive = mine.filter((t) => live(t) && current(t));
  const inFlight = status?.state === "updating" || status?.state === "rollback_started";
  if (outdatedLive.length > 0 && !inFlight && status?.state !== "paused" && status?.state !== "rollback_paused") {
    // An update nobody announced (a spec written before update statuses, ports allocated later): start one.
    r.change = {
      updateStatus: { state: "updating", startedAt: new Date(now).toISOString(), message: "update in progress" },
    };
    return r;
  }
  const startedAt = status?.startedAt ? Date.parse(status.startedAt) : 0;
  const updated = mine.filter((t) => current(t) && Date.parse(t.createdAt) >= startedAt);
  const lastRunning = Math.max(
    -Infinity,
    ...updated.filter((t) => live(t) && t.status.state === "running").map((t) => Date.parse(t.status.timestamp)),
  );
  const wake = (at: number) => (r.wakeAt = r.wakeAt === undefined ? at : Math.min(r.wakeAt, at));

  if (!inFlight) return r;

  const failures = updated.filter(failedOnItsOwn);
  const places = new Set(updated.map(placeOf)).size;
  if (
    failures.length > 0 &&
    failures.length / Math.max(1, places) > cfg.maxFailureRatio &&
    cfg.failureAction !== "continue"
  ) {
    const f = [...failures].sort((a, b) => b.status.timestamp.localeCompare(a.status.timestamp))[0] as Task;
    const why = `task ${service.spec.name}${f.slot !== undefined ? `.${f.slot}` : ""} ${f.status.state}${f.status.exitCode !== undefined ? ` (exit code ${f.status.exitCode})` : ""}${f.status.err ? `: ${f.status.err}` : ""}`;
    const at = new Date(now).toISOString();
    if (cfg.failureAction === "rollback" && !rollingBack && service.previousSpec) {
      const previous = service.previousSpec;
      try {
        const endpointPorts = ports ? ports(previous) : service.endpoint.ports;
        r.change = {
          spec: previous,
          previousSpec: service.spec,
          updateStatus: { state: "rollback_started", startedAt: at, message: `update rolled back: ${why}` },
          endpoint: { ...service.endpoint, ports: endpointPorts },
        };
      } catch (e) {
        r.change = {
          updateStatus: {
            state: "paused",
            startedAt: status?.startedAt ?? at,
            message: `update paused: ${why}; cannot roll back: ${(e as Error).message}`,
          },
        };
      }
    } else {
      r.change = {
        updateStatus: {
          state: rollingBack ? "rollback_paused" : "paused",
          startedAt: status?.startedAt ?? at,
          message: `${rollingBack ? "rollback" : "update"} paused: ${why}`,
        },
      };
    }
    return r;
  }

  const inProgress = new Set([...currentLive.filter((t) => t.status.state !== "running").map(placeOf), ...r.hold]);
  const replaced = new Set(currentLive.map(placeOf));
  const waiting = outdatedLive.filter((t) => !replaced.has(placeOf(t))).sort(bySlotOrNode);
  if (waiting.length === 0) {
    if (inProgress.size > 0 || r.pairs.size > 0 || r.stop.length > 0) return r;
    // Every place runs the current spec: done once the last replacement has run for the monitor period.
    if (now < lastRunning + cfg.monitorMs) {
      wake(lastRunning + cfg.monitorMs);
      return r;
    }
    const done: UpdateStatus = {
      state: rollingBack ? "rollback_completed" : "completed",
      completedAt: new Date(now).toISOString(),
      message: rollingBack ? rollbackDone(status?.message) : "update completed",
    };
    if (status?.startedAt) done.startedAt = status.startedAt;
    r.change = { updateStatus: done };
    return r;
  }
  if (inProgress.size === 0 && cfg.delayMs > 0 && now < lastRunning + cfg.delayMs) {
    wake(lastRunning + cfg.delayMs);
    return r;
  }
  const room = cfg.parallelism === 0 ? waiting.length : Math.max(0, cfg.parallelism - inProgress.size);
  for (const t of waiting.slice(0, room)) {
    if (cfg.order === "start-first") r.startFirst.add(placeOf(t));
    else {
      r.stop.push(t.id);
      r.hold.add(placeOf(t));
    }
  }
  return r;
}
