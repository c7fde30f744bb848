import type { Task } from "@shoal/api";
import type { AgentLog } from "./log.js";
import { reconcile, type Action, type LocalContainer } from "./reconcile.js";
import type { StatusReporter } from "./status-reporter.js";

/** What the reconcile loop reads and acts through. */
export interface ReconcileLoopOptions {
  /** The tasks assigned to the node now. */
  tasks: () => ReadonlyMap<string, Task>;
  /** Shoal's task containers on the node now. */
  containers: () => Promise<Map<string, LocalContainer>>;
  /** Task id -> node-network address of the attached tasks; empty without a node network. */
  attachments: () => Promise<ReadonlyMap<string, string>>;
  /** Whether containers of tasks not assigned may go: a full set of the session arrived and it is connected. */
  mayRemoveUnassigned: () => boolean;
  /** The states reported so far; those of tasks gone from the node and the set are forgotten. */
  reporter: Pick<StatusReporter, "states" | "forget">;
  /** Carries out one action. */
  run: (a: Action) => Promise<void>;
  /** Ends each pass with what it read (the node's published ports follow the running tasks). */
  afterPass?: (
    containers: ReadonlyMap<string, LocalContainer>,
    attachments: ReadonlyMap<string, string>,
  ) => Promise<void>;
  /** Whether the agent is stopping: no pass starts any more. */
  stopping: () => boolean;
  log: AgentLog;
}

/**
 * Drives the node toward its assignments: a pass reads the containers and attachments, asks {@link reconcile}
 * what to do and starts the actions, each of which schedules another pass when it ends. Passes never overlap
 * (one more runs if asked during one), and a task is never acted on twice at once.
 */
export class ReconcileLoop {
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private passRunning = false;
  /** Tasks whose action finished while the current pass was reading the node: its view of them is stale. */
  private settledDuringPass: Set<string> | undefined;
  private passAgain = false;

  constructor(private readonly o: ReconcileLoopOptions) {}

  /** Runs a reconcile pass soon; passes never overlap (one more runs if asked during one). */
  schedule(): void {
    if (this.o.stopping()) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    void (async () => {
      try {
        do {
          this.passAgain = false;
          await this.pass();
        } while (this.passAgain && !this.o.stopping());
      } catch (e) {
        this.o.log.error("reconcile pass failed", { error: e });
      } finally {
        this.passRunning = false;
      }
    })();
  }

  /** Resolves once no pass runs and no action is under way (call it once the agent is stopping). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.passRunning)
      await Promise.allSettled([...this.inFlight, new Promise((r) => setImmediate(r))]);
  }

  private async pass(): Promise<void> {
    const settled = new Set<string>();
    this.settledDuringPass = settled;
    const containers = await this.o.containers();
    const attachments = await this.o.attachments();
    const mayRemoveUnassigned = this.o.mayRemoveUnassigned();
    // A task whose action ended after the containers were read is as good as busy: the pass that its end
    // scheduled sees it as it is now.
    const busy = new Set([...this.busy, ...settled]);
    this.settledDuringPass = undefined;
    const tasks = this.o.tasks();
    const actions = reconcile(tasks, {
      containers,
      attached: new Set(attachments.keys()),
      reported: this.o.reporter.states(),
      busy,
      mayRemoveUnassigned,
    });
    for (const a of actions) this.dispatch(a);
    if (mayRemoveUnassigned) {
      for (const id of this.o.reporter.states().keys())
        if (!tasks.has(id) && !containers.has(id) && !busy.has(id)) this.o.reporter.forget(id);
    }
    await this.o.afterPass?.(containers, attachments);
  }

  private dispatch(a: Action): void {
    const id = a.type === "run" ? a.task.id : a.taskId;
    this.busy.add(id);
    const p = this.o
      .run(a)
      .catch((e: unknown) => this.o.log.error("task action failed", { task: id, action: a.type, error: e }))
      .finally(() => {
        this.settledDuringPass?.add(id);
        this.busy.delete(id);
        this.inFlight.delete(p);
        this.schedule();
      });
    this.inFlight.add(p);
  }
}
