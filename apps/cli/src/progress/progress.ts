import { TASK_STATES, isTerminal, type Service, type Task } from "@shoal/api";
import { shortId } from "../format/table.js";
import { taskProblem } from "../format/tasks.js";

/** What the progress display shows at one moment, and whether the service has converged. */
export interface ProgressView {
  /** `overall progress: 2 out of 3 tasks`. */
  overall: string;
  /** One line per slot (per node for global services). */
  lines: string[];
  converged: boolean;
  /** Set when waiting longer is pointless (an update paused or rolled back): why. */
  stuck?: string;
  running: number;
  desired: number;
}

const BAR_WIDTH = 50;
const BAR_STATES = TASK_STATES.slice(0, TASK_STATES.indexOf("running") + 1);

/** `[=====>     ]` for how far `state` is on the way from new to running. */
export function progressBar(state: Task["status"]["state"]): string {
  const i = BAR_STATES.indexOf(state);
  if (i < 0) return `[${" ".repeat(BAR_WIDTH)}]`;
  const filled = Math.round(((i + 1) / BAR_STATES.length) * BAR_WIDTH);
  return `[${"=".repeat(filled - 1)}>${" ".repeat(BAR_WIDTH - filled)}]`;
}

const newest = (a: Task, b: Task): number => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.version - a.version;

function line(label: string, task: Task | undefined): string {
  if (!task) return `${label}: ${"new".padEnd(9)} ${progressBar("new")}`;
  const problem = taskProblem(task);
  return `${label}: ${task.status.state.padEnd(9)} ${progressBar(task.status.state)}${problem ? ` ${problem}` : ""}`;
}

/**
 * The progress of `service` toward its spec, from its tasks (pure). Replicated: slots 1..replicas, each
 * showing its newest task; converged when every slot's newest task runs and nothing else does. Global: one line
 * per node with a task meant to run. An update in progress is not converged; a paused one is stuck.
 */
export function progressView(
  service: Service,
  tasks: readonly Task[],
  nodeNames: ReadonlyMap<string, string> = new Map(),
): ProgressView {
  const own = tasks.filter((t) => t.serviceId === service.id);
  const runningTotal = own.filter((t) => t.status.state === "running").length;
  let slots: [string, Task | undefined][];
  if (service.spec.mode.mode === "replicated") {
    const n = service.spec.mode.replicas;
    slots = Array.from({ length: n }, (_, i) => [`${i + 1}/${n}`, own.filter((t) => t.slot === i + 1).sort(newest)[0]]);
  } else {
    const byNode = new Map<string, Task>();
    for (const t of [...own].sort(newest))
      if (t.nodeId && !byNode.has(t.nodeId) && !isTerminalDesired(t)) byNode.set(t.nodeId, t);
    slots = [...byNode]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([node, t]) => [nodeNames.get(node) ?? shortId(node), t]);
  }
  const running = slots.filter(([, t]) => t?.status.state === "running" && t.desiredState === "running").length;
  const desired = slots.length;
  const update = service.updateStatus?.state;
  const updating = update === "updating" || update === "rollback_started";
  const view: ProgressView = {
    overall: `overall progress: ${running} out of ${desired} tasks`,
    lines: slots.map(([label, t]) => line(label, t)),
    converged:
      running === desired &&
      runningTotal === desired &&
      !updating &&
      (desired > 0 || service.spec.mode.mode === "replicated"),
    running,
    desired,
  };
  if (update === "paused" || update === "rollback_paused") {
    view.stuck = `update ${update.replace("_", " ")}${service.updateStatus?.message ? `: ${service.updateStatus.message}` : ""}`;
  }
  return view;
}

/** A task the orchestrator no longer wants running. */
const isTerminalDesired = (t: Task): boolean => isTerminal(t.desiredState);
