import { setTimeout as sleep } from "node:timers/promises";
import type { ShoalClient } from "@shoal/api";
import { formatDuration } from "../args/units.js";
import { CliError } from "../errors.js";
import { progressView, type ProgressView } from "./progress.js";
import { ProgressRenderer } from "./renderer.js";

/** Where and how `waitForConvergence` reports. */
export interface WatchOptions {
  client: ShoalClient;
  /** The service's id. */
  service: string;
  write: (text: string) => void;
  tty: boolean;
  timeoutMs: number;
  pollMs?: number;
  /** An update that ends rolled back is an error (`service update`), not convergence. */
  failOnRollback?: boolean;
  /** Tells the display to stop (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Shows a service's progress until it converges (then prints `verify: Service converged`), polling the
 * service and its tasks. Throws CliError SHOAL_ERR_NOT_CONVERGED after the timeout or when an update is stuck.
 */
export async function waitForConvergence(o: WatchOptions): Promise<void> {
  const renderer = new ProgressRenderer(o.tty);
  const deadline = Date.now() + o.timeoutMs;
  let nodeNames: Map<string, string> | undefined;
  let view: ProgressView | undefined;
  for (;;) {
    const [service, tasks] = await Promise.all([
      o.client.call("serviceInspect", { params: { ref: o.service } }),
      o.client.call("taskList", { query: { service: o.service } }),
    ]);
    if (service.spec.mode.mode === "global" && !nodeNames) {
      nodeNames = new Map((await o.client.call("nodeList")).map((n) => [n.id, n.description.hostname]));
    }
    view = progressView(service, tasks, nodeNames);
    o.write(renderer.render(view));
    if (view.converged) {
      if (o.failOnRollback && service.updateStatus?.state === "rollback_completed") {
        throw new CliError(
          "SHOAL_ERR_ROLLED_BACK",
          `service ${service.spec.name}: ${service.updateStatus.message || "the update was rolled back"}`,
          `the service runs its previous spec again; see \`shoal service ps ${service.spec.name}\``,
        );
      }
      o.write("verify: Service converged\n");
      return;
    }
    const name = service.spec.name;
    if (view.stuck)
      throw new CliError(
        "SHOAL_ERR_NOT_CONVERGED",
        `service ${name}: ${view.stuck}`,
        `see \`shoal service ps ${name}\` and \`shoal service inspect ${name}\``,
      );
    if (Date.now() >= deadline || o.signal?.aborted) {
      const why = o.signal?.aborted ? "stopped waiting" : `did not converge in ${formatDuration(o.timeoutMs)}`;
      throw new CliError(
        "SHOAL_ERR_NOT_CONVERGED",
        `service ${name} ${why}: ${view.running} of ${view.desired} tasks running`,
        `the service exists and the cluster keeps trying; see \`shoal service ps ${name}\``,
      );
    }
    try {
      await sleep(o.pollMs ?? 200, undefined, o.signal ? { signal: o.signal } : {});
    } catch {
      // aborted: the next round reports it
    }
  }
}
