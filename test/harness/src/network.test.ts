import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";
import type { Task } from "@shoal/api";
import { ensureBusyboxTarball, ensureRedisTarball } from "@shoal/runtime/testing";
import { Redis } from "ioredis";
import { startCluster, type HarnessCluster } from "./cluster.js";
import type { HarnessNode } from "./node.js";
import { loggedTest } from "./logged-test.js";
import { httpFromHost, httpFromTask, lookupFromTask, networkId, overlayAddress, WEB } from "./probe.js";
import { targetOf, type ClusterTarget } from "./target.js";
import { until } from "./until.js";

describe("overlay networks, service discovery and the routing mesh on 3 nodes", { timeout: 900_000 }, () => {
  let c: HarnessCluster | undefined;
  let busybox = "busybox:latest";
  let redisImage = "redis:latest";
  const cluster = (): HarnessCluster => {
    if (!c) throw new Error("the cluster did not start");
    return c;
  };
  const manager = (): HarnessNode => cluster().nodes[0]!;

  /** The running tasks of a service, once there are `n`. */
  const runningTasks = (service: string, n: number): Promise<Task[]> =>
    until(
      async () => {
        const tasks = (await cluster().client().call("taskList", { query: { service } })).filter(
          (t) => t.desiredState === "running" && t.status.state === "running",
        );
        return tasks.length === n ? tasks : undefined;
      },
      180_000,
      `${n} running tasks of ${service}`,
    );

  /** The VXLAN device's own forwarding entries in a network's netns (the bridge's learned ones come and go with traffic). */
  const vxlanFdb = async (node: HarnessNode, ns: string): Promise<string> =>
    (await node.execOk(["bridge", "-n", ns, "fdb", "show"]))
      .split("\n")
      .filter((l) => l.includes(" dst "))
      .join("\n");
  /** The MAC Shoal gives an overlay address ("02:53:" and its bytes). */
  const macOfAddress = (a: string): string =>
    "02:53:" +
    a
      .split(".")
      .map((b) => Number(b).toString(16).padStart(2, "0"))
      .join(":");
  const target = (): ClusterTarget => targetOf(cluster());
  const fetch = (task: Task, host: string): Promise<string> => httpFromTask(target(), task, host);
  const lookup = (task: Task, name: string): Promise<string[]> => lookupFromTask(target(), task, name);
  const defaultNetwork = (): Promise<string> => networkId(target());

  const test = loggedTest(nodeTest, () => c?.nodes ?? []);

  before(async () => {
    const [bb, redis] = await Promise.all([ensureBusyboxTarball(), ensureRedisTarball()]);
    c = await startCluster({ managers: 1, workers: 2 });
    busybox = await c.loadImage(bb);
    redisImage = await c.loadImage(redis);
  });
  after(async () => {
    await c?.destroy();
  });

  test("tasks on 3 nodes reach each other by overlay address and by service name, and the VIP reaches every task", async () => {
    await manager().shoalOk(["service", "create", "--replicas", "3", "--name", "web", busybox, ...WEB]);
    const tasks = await runningTasks("web", 3);
    assert.equal(new Set(tasks.map((t) => t.nodeId)).size, 3, "one task per node");
    const net = await defaultNetwork();
    for (const from of tasks) {
      for (const to of tasks)
        assert.equal(
          await fetch(from, overlayAddress(to, net)),
          to.id.slice(0, 12),
          `${from.id} reaches ${to.id} across hosts`,
        );
    }
    const seen = new Set<string>();
    await until(
      async () => {
        seen.add(await fetch(tasks[0]!, "web"));
        return seen.size === 3;
      },
      60_000,
      "connections to web's VIP to reach all 3 tasks",
    );
  });

  test("DNS answers the VIP for <service>, every task for tasks.<service> and for a dnsrr service, and forwards other names", async () => {
    const tasks = await runningTasks("web", 3);
    const net = await defaultNetwork();
    const service = await cluster()
      .client()
      .call("serviceInspect", { params: { ref: "web" } });
    const vip = service.endpoint.virtualIps.find((v) => v.networkId === net)?.addr.split("/")[0];
    assert.deepEqual(await lookup(tasks[1]!, "web"), [vip]);
    assert.deepEqual(await lookup(tasks[1]!, "tasks.web"), tasks.map((t) => overlayAddress(t, net)).sort());
    await manager().shoalOk([
      "service",
      "create",
      "--replicas",
      "2",
      "--name",
      "rr",
      "--endpoint-mode",
      "dnsrr",
      busybox,
      ...WEB,
    ]);
    const rr = await runningTasks("rr", 2);
    assert.deepEqual(await lookup(tasks[2]!, "rr"), rr.map((t) => overlayAddress(t, net)).sort());
    // The node's own resolver (Docker's, for the node containers) knows the other nodes by container name.
    const other = cluster().nodes[1]!;
    assert.deepEqual(
      await lookup(tasks[0]!, other.name),
      [other.address],
      "a name that is no service is forwarded to the host's resolvers",
    );
  });

  test("a published port answers on a node that runs none of the service's tasks", async () => {
    const [, w1, w2] = cluster().nodes;
    assert.ok(w1 && w2);
    await manager().shoalOk([
      "service",
      "create",
      "--name",
      "pub",
      "--constraint",
      `node.hostname==${w1.hostname}`,
      "-p",
      "8080:80",
      busybox,
      ...WEB,
    ]);
    const [task] = await runningTasks("pub", 1);
    assert.ok(task);
    for (const node of cluster().nodes) {
      const body = await until(() => httpFromHost(node.address, 8080), 60_000, `port 8080 on ${node.hostname}`);
      assert.equal(body, task.id.slice(0, 12), `port 8080 on ${node.hostname} reaches the task on ${w1.hostname}`);
    }
  });

  test("redis through a published port keeps working while another service's task moves", async () => {
    await manager().shoalOk(["service", "create", "--name", "cache", "-p", "6379:6379", redisImage]);
    await runningTasks("cache", 1);
    const worker = cluster().workers[1]!;
    const redis = new Redis({
      host: worker.address,
      port: 6379,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      retryStrategy: () => 200,
    });
    try {
      await until(async () => (await redis.ping()) === "PONG", 60_000, "redis to answer through the mesh");
      await redis.set("key", "value");
      const web = await runningTasks("web", 3);
      // Move one of web's tasks: force an update, which replaces every task one by one.
      await manager().shoalOk(["service", "update", "--force", "web"]);
      for (let i = 0; i < 20; i++) assert.equal(await redis.get("key"), "value");
      await until(
        async () => {
          const now = await runningTasks("web", 3);
          return now.every((t) => !web.some((o) => o.id === t.id));
        },
        180_000,
        "web's tasks to be replaced",
      );
      assert.equal(await redis.incr("counter"), 1);
    } finally {
      redis.disconnect();
    }
  });

  test("entries of removed tasks vanish from the other nodes", async () => {
    const before = await runningTasks("web", 3);
    await manager().shoalOk(["service", "scale", "web=1"]);
    const [left] = await runningTasks("web", 1);
    assert.ok(left);
    const net = await defaultNetwork();
    await until(
      async () => (await lookup(left, "tasks.web")).length === 1,
      60_000,
      "tasks.web to list the one task left",
    );
    const gone = before.filter((t) => t.id !== left.id).map((t) => overlayAddress(t, net));
    const ns = `shov-${net.slice(0, 12)}`;
    for (const node of cluster().nodes) {
      const programmed = async (): Promise<string> =>
        (await node.execOk(["ip", "-n", ns, "neigh", "show", "nud", "permanent"])) + (await vxlanFdb(node, ns));
      await until(
        async () => {
          const now = await programmed();
          return gone.every((a) => !now.includes(`${a} `) && !now.includes(macOfAddress(a)));
        },
        30_000,
        `the neighbour and forwarding entries of ${gone.join(", ")} to be gone from ${node.hostname}`,
      );
    }
  });

  test("an agent restart leaves the data path working and identical", async () => {
    const w = cluster().workers[0]!;
    const net = await defaultNetwork();
    const dump = async (): Promise<string> =>
      [
        await w.execOk(["ip", "-n", `shov-${net.slice(0, 12)}`, "-o", "link", "show"]),
        await w.execOk(["ip", "-4", "-n", `shov-${net.slice(0, 12)}`, "-o", "addr", "show"]),
        await w.execOk(["ip", "-n", `shov-${net.slice(0, 12)}`, "neigh", "show", "nud", "permanent"]),
        await vxlanFdb(w, `shov-${net.slice(0, 12)}`),
      ].join("\n");
    const before = await dump();
    await w.kill("agent");
    await w.restart("agent");
    await until(
      async () =>
        (
          await cluster()
            .client()
            .call("nodeInspect", { params: { ref: w.hostname } })
        ).status.state === "ready",
      60_000,
      "the agent back",
    );
    const rr = await runningTasks("rr", 2);
    const names = rr.map((t) => t.id.slice(0, 12)).sort();
    for (const t of rr) {
      const answers = new Set<string>();
      for (const to of rr) answers.add(await fetch(t, overlayAddress(to, net)));
      assert.deepEqual([...answers].sort(), names, "the tasks still reach each other");
    }
    assert.equal(await dump(), before, "the same links, neighbours and forwarding entries");
  });

  test("removing a network removes its namespaces, links and rules on every node", async () => {
    await manager().shoalOk(["network", "create", "scratch"]);
    const id = (
      await cluster()
        .client()
        .call("networkInspect", { params: { ref: "scratch" } })
    ).id;
    await manager().shoalOk([
      "service",
      "create",
      "--replicas",
      "3",
      "--name",
      "tmp",
      "--network",
      "scratch",
      busybox,
      "sleep",
      "3600",
    ]);
    await runningTasks("tmp", 3);
    for (const node of cluster().nodes)
      assert.match(await node.execOk(["ip", "netns", "list"]), new RegExp(`shov-${id.slice(0, 12)}`));
    await manager().shoalOk(["service", "rm", "tmp"]);
    await manager().shoalOk(["network", "rm", "scratch"]);
    for (const node of cluster().nodes) {
      await until(
        async () => !(await node.execOk(["ip", "netns", "list"])).includes(`shov-${id.slice(0, 12)}`),
        60_000,
        `scratch's netns gone on ${node.hostname}`,
      );
      assert.doesNotMatch(
        await node.execOk(["ip", "-d", "link", "show"]),
        /vxlan id/,
        `no VXLAN device left in ${node.hostname}'s own netns`,
      );
    }
  });
});
