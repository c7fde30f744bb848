import { isTerminal, type Task } from "@shoal/api";
import type { Limiter } from "@shoal/common";
import { AlreadyExistsError, InvalidStateError, NotFoundError, type Executor, type NetworkMode } from "@shoal/runtime";
import { containerSpecFor } from "./container-spec.js";
import type { AgentLog } from "./log.js";
import type { AttachmentTracker } from "./attachment-tracker.js";
import type { Action, ReportStatus } from "./reconcile.js";
import type { StatusReporter } from "./status-reporter.js";

export interface TaskActionsOptions {
  executor: Executor;
  /** Absent with networking "none". */
  network: AttachmentTracker | undefined;
  reporter: StatusReporter;
  /** The node's id (for container labels). */
  nodeId: () => string;
  hostname: string;
  /** The task as it is assigned now; undefined when it is not any more. */
  current: (taskId: string) => Task | undefined;
  log: AgentLog;
  /** Bounds the containers being created and started at once (runc and the kernel share the node's CPUs). */
  starts: Limiter;
  /** Puts an attached task on its overlay networks (before its container starts); absent without overlays. */
  joinOverlay?: (task: Task) => Promise<void>;
  /** The nameservers of task containers (the node's DNS server), when it runs. */
  dnsServers?: () => string[] | undefined;
}

/** The message of a task rejected because its image is on neither the node nor a registry it can pull from. */
export function imageMissing(image: string, hostname: string): string {
  return `image ${image} not found on node ${hostname}: load it with \`shoal image load\` on that node`;
}

const ignoreGone = (e: unknown): void => {
  if (!(e instanceof NotFoundError) && !(e instanceof InvalidStateError)) throw e;
};

/** Carries out reconcile actions on the executor and the network, reporting each step. */
export class TaskActions {
  constructor(private readonly o: TaskActionsOptions) {}

  async run(a: Action): Promise<void> {
    switch (a.type) {
      case "report":
        this.report(a.taskId, a.status);
        return;
      case "run":
        await this.start(a.task, a.create);
        return;
      case "stop":
        await this.o.executor.stop(a.taskId, { graceMs: a.graceMs }).then(() => undefined, ignoreGone);
        if (a.then) this.report(a.taskId, a.then);
        return;
      case "remove":
        await this.remove(a.taskId, a.container, a.attached);
        return;
    }
  }

  private report(taskId: string, status: ReportStatus): void {
    const managerState = this.o.current(taskId)?.status.state;
    if (this.o.reporter.report(taskId, status, managerState)) {
      this.o.log.info("task status", {
        task: taskId,
        state: status.state,
        ...(status.err === undefined ? {} : { err: status.err }),
      });
    }
  }

  /** Whether the task should still start (it may have been changed or removed meanwhile). */
  private stillWanted(taskId: string): boolean {
    const t = this.o.current(taskId);
    return t !== undefined && !isTerminal(t.desiredState);
  }

  private async start(task: Task, create: boolean): Promise<void> {
    const id = task.id;
    const image = task.spec.container.image;
    this.report(id, { state: "accepted", message: "accepted" });
    this.report(id, { state: "preparing", message: "preparing" });
    if (create) {
      try {
        await this.ensureImage(image);
      } catch (e) {
        this.report(id, {
          state: "rejected",
          message: `preparing failed: ${(e as Error).message}`,
          err: imageMissing(image, this.o.hostname),
        });
        return;
      }
    }
    if (!this.stillWanted(id)) return;
    let network: NetworkMode = { mode: "none" };
    if (this.o.network) {
      try {
        network = { mode: "path", path: (await this.o.network.attach(id)).netnsPath };
        await this.o.joinOverlay?.(task);
      } catch (e) {
        this.report(id, { state: "failed", message: "network attachment failed", err: (e as Error).message });
        return;
      }
    }
    await this.o.starts.run(() => this.createAndStart(task, create, network));
  }

  private async createAndStart(task: Task, create: boolean, network: NetworkMode): Promise<void> {
    const id = task.id;
    if (!this.stillWanted(id)) return;
    if (create) {
      try {
        await this.o.executor.create(
          containerSpecFor(task, this.o.nodeId(), network, network.mode === "path" ? this.o.dnsServers?.() : undefined),
        );
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) {
          this.report(id, {
            state: "rejected",
            message: "the container could not be created",
            err: (e as Error).message,
          });
          return;
        }
      }
    }
    if (!this.stillWanted(id)) return;
    this.report(id, { state: "starting", message: "starting" });
    try {
      await this.o.executor.start(id);
    } catch (e) {
      this.report(id, {
        state: "failed",
        message: "the container did not start",
        err: (e as Error).message,
        containerId: id,
      });
      return;
    }
    this.report(id, { state: "running", message: "started", containerId: id });
  }

  /** The image is on the node, or is pulled; throws when neither. */
  private async ensureImage(image: string): Promise<void> {
    try {
      await this.o.executor.images.inspect(image);
      return;
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    this.o.log.info("pulling image", { image });
    await this.o.executor.images.pull(image);
  }

  private async remove(taskId: string, container: boolean, attached: boolean): Promise<void> {
    if (container) {
      // Stop with the container's own grace period first; force only kills what is left.
      await this.o.executor.stop(taskId).then(() => undefined, ignoreGone);
      await this.o.executor.remove(taskId, { force: true }).catch(ignoreGone);
    }
    if (attached) await this.o.network?.detach(taskId);
    this.o.reporter.forget(taskId);
    this.o.log.info("task removed from the node", { task: taskId });
  }
}
