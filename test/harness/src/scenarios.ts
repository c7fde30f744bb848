import assert from "node:assert/strict";
import type { Task } from "@shoal/api";
import { httpFromHost, httpFromTask, lookupFromTask, networkId, overlayAddress, WEB } from "./probe.js";
import type { ClusterTarget, TargetNode } from "./target.js";
import { until } from "./until.js";

/**
 * The cluster scenarios of the end-to-end suite, run through the `shoal` command on a manager node and checked
 * through the API, whatever the target (harness containers, Vagrant VMs, hosts over ssh).
 */

const CONVERGE_MS = 180_000;
/** A node powered on or rebooted: a VM under qemu's emulation boots in one to two minutes, then its daemons. */
const BOOT_MS = 600_000;

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

/** `shoal service create --detach --name SERVICE --replicas N ARGS...` on a manager; its tasks once converged. */
export async function createService(
  t: ClusterTarget,
  service: string,
  replicas: number,
  args: readonly string[],
): Promise<Task[]> {
  await manager(t).shoalOk([
    "service",
    "create",
    "--detach",
    "--name",
    service,
    "--replicas",
    String(replicas),
    ...args,
  ]);
  return converged(t, service, replicas);
}

/** `service create` with `replicas` replicas converges, spread over distinct nodes while there are enough. */
export async function createConverges(
  t: ClusterTarget,
  service: string,
  image: string,
  replicas: number,
): Promise<void> {
  const tasks = await createService(t, service, replicas, [image, "sleep", "3600"]);
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

/** Creates a service of `replicas` web servers (WEB) with more arguments, and waits for them. */
function createWeb(
  t: ClusterTarget,
  service: string,
  image: string,
  replicas: number,
  more: readonly string[] = [],
): Promise<Task[]> {
  return createService(t, service, replicas, [...more, image, ...WEB]);
}

/** The port the cluster published for a service's first port. */
async function publishedPort(t: ClusterTarget, service: string): Promise<number> {
  const s = await t.client().call("serviceInspect", { params: { ref: service } });
  const port = s.endpoint.ports[0]?.publishedPort;
  assert.ok(port, `${service} has a published port`);
  return port;
}

/** Waits until the service's published port answers on every node with one of its running tasks' hostnames. */
export async function publishedPortAnswers(t: ClusterTarget, service: string, replicas: number): Promise<void> {
  const tasks = await converged(t, service, replicas);
  const port = await publishedPort(t, service);
  const names = new Set(tasks.map((x) => x.id.slice(0, 12)));
  for (const node of t.nodes) {
    const body = await until(
      async () => {
        const b = await httpFromHost(node.address, port);
        return names.has(b) ? b : undefined;
      },
      CONVERGE_MS,
      `port ${port} on ${node.hostname} to answer with a task of ${service}`,
      500,
    );
    assert.ok(names.has(body));
  }
}

/**
 * A service of one web server published on a port the cluster picks (`-p 80`): the port answers on every
 * node, those that run no task of it included (the routing mesh).
 */
export async function publishedPortOnEveryNode(t: ClusterTarget, service: string, image: string): Promise<void> {
  await createWeb(t, service, image, 1, ["-p", "80"]);
  await publishedPortAnswers(t, service, 1);
}

/**
 * Two web servers on different nodes, on the cluster's default overlay network: each reaches the other by
 * its overlay address (across hosts), DNS answers the service's VIP for its name and both tasks for
 * `tasks.<name>`, and connections to the name reach both tasks.
 */
export async function overlayAndDnsAcrossNodes(t: ClusterTarget, service: string, image: string): Promise<void> {
  const tasks = await createWeb(t, service, image, 2, ["--max-replicas", "1"]);
  const [a, b] = tasks;
  assert.ok(a && b);
  assert.notEqual(a.nodeId, b.nodeId, "the two tasks run on different nodes");
  const net = await networkId(t);
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const body = await until(
      () => httpFromTask(t, from, overlayAddress(to, net)),
      CONVERGE_MS,
      `task ${from.id} to reach task ${to.id} at ${overlayAddress(to, net)} across the overlay`,
      500,
    );
    assert.equal(body, to.id.slice(0, 12), `${from.id} reaches ${to.id} across hosts`);
  }
  const svc = await t.client().call("serviceInspect", { params: { ref: service } });
  const vip = svc.endpoint.virtualIps.find((v) => v.networkId === net)?.addr.split("/")[0];
  assert.ok(vip, `${service} has a VIP on the default network`);
  assert.deepEqual(await lookupFromTask(t, a, service), [vip], `${service} resolves to its VIP`);
  assert.deepEqual(
    await lookupFromTask(t, b, `tasks.${service}`),
    tasks.map((x) => overlayAddress(x, net)).sort(),
    `tasks.${service} resolves to both tasks`,
  );
  const seen = new Set<string>();
  await until(
    async () => {
      seen.add(await httpFromTask(t, a, service));
      return seen.size === 2;
    },
    60_000,
    `connections to ${service}'s VIP to reach both tasks (so far ${[...seen].join(", ")})`,
  );
}

/** The state of a node, by hostname, as the managers see it. */
async function nodeState(t: ClusterTarget, hostname: string): Promise<string | undefined> {
  const nodes = await t.client().call("nodeList", {});
  return nodes.find((n) => n.description.hostname === hostname)?.status.state;
}

/** Waits until every node of the target is ready. */
export async function allReady(t: ClusterTarget, timeoutMs = CONVERGE_MS): Promise<void> {
  await until(
    async () => {
      const nodes = await t.client().call("nodeList", {});
      return t.nodes.every((n) =>
        nodes.some((x) => x.description.hostname === n.hostname && x.status.state === "ready"),
      );
    },
    timeoutMs,
    `every node of the ${t.kind} target to be ready`,
    1_000,
  );
}

/**
 * A node that runs tasks of the service, and no manager, loses its power: the managers mark it down and its
 * tasks run on the other nodes. Powered on again, it is ready again (its daemons start on their own).
 */
export async function powerOffMovesTasks(t: ClusterTarget, service: string, replicas: number): Promise<void> {
  const before = await converged(t, service, replicas);
  let victim: TargetNode | undefined;
  let victimId: string | undefined;
  for (const task of before) {
    const n = await t.client().call("nodeInspect", { params: { ref: task.nodeId ?? "" } });
    victim = t.nodes.find((x) => x.hostname === n.description.hostname && x.role === "worker");
    victimId = n.id;
    if (victim) break;
  }
  assert.ok(victim, `a worker runs a task of ${service}`);
  const node = victim;
  assert.ok(node.powerOff && node.powerOn, `the ${t.kind} target can power ${node.hostname} off and on`);
  const hostname = node.hostname;
  await node.powerOff();
  try {
    await until(
      async () => (await nodeState(t, hostname)) === "down",
      CONVERGE_MS,
      `${hostname} to be marked down`,
      500,
    );
    await until(
      async () => {
        const running = (await runningTasks(t, service)).filter((x) => x.nodeId !== victimId);
        return running.length === replicas;
      },
      CONVERGE_MS,
      `${replicas} tasks of ${service} running on nodes other than the powered-off ${hostname}`,
      500,
    );
  } finally {
    await node.powerOn();
  }
  await allReady(t, BOOT_MS);
  // Back, the node runs none of the tasks that were replaced.
  await converged(t, service, replicas);
}

/**
 * The manager `shoal` runs on is rebooted: once it is back, the cluster serves through it. Its API answers,
 * every node is ready, the service runs all its replicas again and its published port answers on every node,
 * and a scale sent through that manager converges.
 */
export async function managerRebootServes(
  t: ClusterTarget,
  service: string,
  replicas: number,
  published: string,
): Promise<void> {
  const m = manager(t);
  assert.ok(m.reboot, `the ${t.kind} target can reboot ${m.hostname}`);
  await converged(t, service, replicas);
  await m.reboot();
  await until(() => m.shoalOk(["node", "ls"]), BOOT_MS, `\`shoal node ls\` to answer on ${m.hostname}`, 2_000);
  await allReady(t, BOOT_MS);
  await converged(t, service, replicas);
  await publishedPortAnswers(t, published, 1);
  await scaleConverges(t, service, replicas + 1, replicas);
}
