import type { Task } from "@shoal/api";
import type { NetworkView } from "@shoal/bus";
import type { OverlayPlan } from "@shoal/overlay";
import type { Clock } from "@shoal/common";
import { OverlayJoinError } from "./errors.js";

/** What putting a task on its overlay networks reads and drives. */
export interface OverlayJoinOptions {
  clock: Clock;
  /** The managers' network view now. */
  view: () => NetworkView;
  /** Calls `wake` (once) when the view changes next. */
  onViewChange: (wake: () => void) => void;
  /** Whether the agent is stopping: a join still waiting for the view gives up. */
  stopping: () => boolean;
  /** Reconciles the node's overlay (with the task's attachment) and returns the plan it applied. */
  sync: () => Promise<OverlayPlan>;
  /** The name `ip netns` knows an attached task's netns by. */
  netnsOf: (taskId: string) => string | undefined;
  /** How long to wait for the view to hold the task's networks; default a minute. */
  timeoutMs?: number;
}

/** How often a join waiting for the view looks again when the view does not change (it may stop meanwhile). */
const RECHECK_MS = 1_000;

/**
 * Puts an attached task on its overlay networks before its container starts: waits (up to a minute) for the
 * managers' view to hold its networks, then reconciles and checks that the task's netns was attached. A task
 * with no overlay address is left as it is. Throws OverlayJoinError when the view never holds the networks,
 * the agent stops meanwhile, or the netns vanished.
 */
export async function joinOverlay(task: Task, o: OverlayJoinOptions): Promise<void> {
  const ids = task.networks.filter((a) => a.addresses.length > 0).map((a) => a.networkId);
  if (ids.length === 0) return;
  const deadline = o.clock.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const missing = ids.filter((id) => !o.view().networks.some((n) => n.id === id));
    if (missing.length === 0) break;
    if (o.clock.now() > deadline || o.stopping()) {
      throw new OverlayJoinError(
        `the managers have not described network ${missing.join(", ")} to this node yet; the task is retried elsewhere or later`,
      );
    }
    await new Promise<void>((resolve) => {
      const timer = o.clock.setTimeout(resolve, RECHECK_MS);
      o.onViewChange(() => {
        o.clock.clearTimeout(timer);
        resolve();
      });
    });
  }
  const plan = await o.sync();
  const netns = o.netnsOf(task.id);
  if (netns === undefined || plan.missingTasks.includes(netns))
    throw new OverlayJoinError(
      `the task's network namespace ${netns ?? "(none)"} vanished before it joined its overlay networks`,
    );
}
