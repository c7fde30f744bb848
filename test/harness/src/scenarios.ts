import assert from "node:assert/strict";
import type { Task } from "@shoal/api";
import type { ClusterTarget } from "./target.js";
import { until } from "./until.js";

/**
 * The cluster scenarios of the end-to-end suite, run through the `shoal` command on a manager node and checked
 * through the API, whatever the target (harness containers, Vagrant VMs, hosts over ssh).
 */

const CONVERGE_MS = 180_000;

/** A manager node of the target, where the scenarios run `shoal`. */
function manager(t: ClusterTarget): ClusterTarget["nodes"][number] {
  const m = t.nodes.find((n) => n.role === "manager");
  if (!m) throw new Error(`the ${t.kind} target has no manager`);
  return m;
}

/** The running tasks of a service that should run. */
export async function runningTasks(t: ClusterTarget, service: string): Promise<Task[]> {
  const tasks = await t.client().call("taskList", { query: { service } });
  return tasks.filter((x) => x.desiredState === "running" && x.status.state === "running");
}

/** Waits until exactly `n` tasks of the service run and every other one is done; the running ones. */
export async function converged(t: ClusterTarget, service: string, n: number): Promise<Task[]> {
  return until(
    async () => {
      const tasks = await t.client().call("taskList", { query: { service } });
      const running = tasks.filter((x) => x.desiredState === "running" && x.status.state === "running");
      const stopping = tasks.filter(
        (x) => x.desiredState !== "running" && ["running", "starting"].includes(x.status.state),
      );
      return running.length === n && stopping.length === 0 ? running : undefined;
    },
    CONVERGE_MS,
    `${n} running tasks of ${service} on the ${t.kind} target`,
  );
}

/** `service create` with `replicas` replicas converges, spread over distinct nodes while there are enough. */
export async function createConverges(
  t: ClusterTarget,
  service: string,
  image: string,
  replicas: number,
): Promise<void> {
  await manager(t).shoalOk([
    "service",
    "create",
    "--detach",
    "--name",
    service,
    "--replicas",
    String(replicas),
    image,
    "sleep",
    "3600",
  ]);
  const tasks = await converged(t, service, replicas);
  assert.equal(
    new Set(tasks.map((x) => x.nodeId)).size,
    Math.min(replicas, t.nodes.length),
    "replicas spread over the nodes",
  );
}

/** `service scale` up then down converges each time. */
export async function scaleConverges(t: ClusterTarget, service: string, up: number, down: number): Promise<void> {
  await manager(t).shoalOk(["service", "scale", "--detach", `${service}=${up}`]);
  await converged(t, service, up);
  await manager(t).shoalOk(["service", "scale", "--detach", `${service}=${down}`]);
  await converged(t, service, down);
}

/** Draining a node that runs a task moves its tasks to the other nodes; the node is made active again. */
export async function drainMovesTasks(t: ClusterTarget, service: string, replicas: number): Promise<void> {
  const before = await converged(t, service, replicas);
  const victim = before[0]?.nodeId;
  assert.ok(victim, "a running task has a node");
  const node = await t.client().call("nodeInspect", { params: { ref: victim } });
  const hostname = node.description.hostname;
  await manager(t).shoalOk(["node", "update", "--availability", "drain", hostname]);
  try {
    const after = await until(
      async () => {
        const r = await converged(t, service, replicas);
        return r.every((x) => x.nodeId !== victim) ? r : undefined;
      },
      CONVERGE_MS,
      `${service}'s tasks to leave the drained node ${hostname}`,
    );
    assert.equal(after.length, replicas);
  } finally {
    await manager(t).shoalOk(["node", "update", "--availability", "active", hostname]);
  }
}

/** Removes the service (best effort: a scenario's cleanup on an existing cluster). */
export async function removeService(t: ClusterTarget, service: string): Promise<void> {
  await manager(t)
    .shoalOk(["service", "rm", service])
    .catch(() => undefined);
}
