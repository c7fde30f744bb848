import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { isTerminal, type Task } from "@shoal/api";
import { ensureBusyboxTarball, rootSkip } from "@shoal/runtime/testing";
import { NodeCluster, alive, freePort, until } from "./node-cluster.js";

// One node, real processes: `shoal cluster init` starts a manager (Raft store, nats-server, API) and an agent
// (runc containers); everything is driven through the `shoal` command and checked on the machine itself.

const running = (ts: Task[]) => ts.filter((t) => t.desiredState === "running" && t.status.state === "running");
const live = (ts: Task[]) => ts.filter((t) => t.desiredState === "running" && !isTerminal(t.status.state));

describe("one-node cluster, end to end", { skip: rootSkip, timeout: 600_000 }, () => {
  const c = new NodeCluster();
  let port = 0;
  let image = "busybox:latest";

  before(async () => {
    const tar = await ensureBusyboxTarball();
    await c.init();
    const loaded = await c.shoal(["image", "load", "-i", tar, "--run-dir", c.runDir]);
    const ref = /busybox\S*/.exec(loaded)?.[0];
    if (ref) image = ref;
    port = await freePort();
  });
  after(async () => {
    await c.destroy();
  });

  it("runs 3 replicas in their own namespaces and cgroups, reachable on the published port", async () => {
    const script = 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www';
    await c.shoal([
      "service",
      "create",
      "--name",
      "web",
      "--replicas",
      "3",
      "-p",
      `${port}:80`,
      image,
      "sh",
      "-c",
      script,
    ]);
    const tasks = running(await c.tasks("web"));
    assert.equal(tasks.length, 3, c.logTail());
    const selfNs = (ns: string) => readlinkSync(`/proc/self/ns/${ns}`);
    for (const t of tasks) {
      assert.ok(t.status.containerId, `task ${t.id} has no container id`);
      const pid = c.containerPid(t.status.containerId);
      for (const ns of ["pid", "net", "mnt", "uts", "ipc"])
        assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), selfNs(ns), `${ns} namespace of task ${t.id}`);
      assert.match(readFileSync(`/proc/${pid}/cgroup`, "utf8"), new RegExp(c.cgroupParent), `cgroup of task ${t.id}`);
    }
    const seen = new Set<string>();
    await until(
      async () => {
        const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
        seen.add(body.trim());
        return seen.size === 3;
      },
      30_000,
      "answers from all 3 replicas on the published port",
    );
  });

  it("replaces a container whose process was killed", async () => {
    const before = running(await c.tasks("web"));
    const victim = before[0] as Task;
    process.kill(c.containerPid(victim.status.containerId as string), "SIGKILL");
    const after = await until(
      async () => {
        const ts = await c.tasks("web");
        const old = ts.find((t) => t.id === victim.id);
        const replaced = ts.find((t) => t.slot === victim.slot && t.id !== victim.id && t.status.state === "running");
        return old && isTerminal(old.status.state) && replaced && running(ts).length === 3 ? ts : undefined;
      },
      60_000,
      "the killed replica to be replaced",
    );
    assert.equal(live(after).length, 3);
  });

  it("scales to 10 and back to 2", async () => {
    await c.shoal(["service", "scale", "web=10"]);
    assert.equal(running(await c.tasks("web")).length, 10);
    await c.shoal(["service", "scale", "web=2"]);
    const ts = await c.tasks("web");
    assert.equal(running(ts).length, 2);
    assert.equal(live(ts).length, 2);
    await until(
      () => c.runcList().filter((r) => r.status === "running").length === 2,
      60_000,
      "only 2 containers running",
    );
  });

  it("drain stops the node's tasks and they come back when it is active", async () => {
    const node = (await c.client.call("nodeList", {}))[0];
    assert.ok(node);
    await c.shoal(["node", "update", "--availability", "drain", node.id]);
    await until(async () => running(await c.tasks("web")).length === 0, 60_000, "tasks to stop on drain");
    const pending = live(await c.tasks("web"));
    assert.equal(pending.length, 2);
    for (const t of pending) assert.match(t.status.message, /drain/, "a pending task says why");
    const ps = await c.shoal(["service", "ps", "web"]);
    assert.match(ps, /drain/, "service ps shows why tasks are pending");
    await until(() => c.runcList().filter((r) => r.status === "running").length === 0, 60_000, "no container running");
    await c.shoal(["node", "update", "--availability", "active", node.id]);
    await until(async () => running(await c.tasks("web")).length === 2, 60_000, "tasks back on active");
  });

  it("keeps state and containers through a manager restart, then an agent restart", async () => {
    const before = running(await c.tasks("web"));
    const pids = new Map(before.map((t) => [t.id, c.containerPid(t.status.containerId as string)]));
    await c.stopDaemon("manager");
    await c.startDaemon("manager");
    await until(() => c.client.call("info"), 30_000, "the manager API after restart");
    await until(
      async () => (await c.client.call("nodeList", {}))[0]?.status.state === "ready",
      30_000,
      "the agent to re-register",
    );
    await c.stopDaemon("agent");
    for (const [, pid] of pids) assert.ok(alive(pid), "containers keep running while the agent is stopped");
    await c.startDaemon("agent");
    await until(
      async () => {
        const info = await c.client.call("nodeList", {});
        return info[0]?.status.state === "ready";
      },
      30_000,
      "the agent to register again",
    );
    // Give the agent a full reconcile: its status reports reach the store.
    const afterTasks = await until(
      async () => {
        const ts = await c.tasks("web");
        return running(ts).length === 2 ? ts : undefined;
      },
      30_000,
      "2 running tasks after the restarts",
    );
    assert.deepEqual(
      running(afterTasks)
        .map((t) => t.id)
        .sort(),
      [...pids.keys()].sort(),
      `the same tasks, no duplicates\n${c.logTail()}`,
    );
    for (const t of running(afterTasks))
      assert.equal(
        c.containerPid(t.status.containerId as string),
        pids.get(t.id),
        `container of ${t.id} not restarted`,
      );
    assert.equal(c.runcList().filter((r) => r.status === "running").length, 2);
  });

  it("removes the service and its containers", async () => {
    await c.shoal(["service", "rm", "web"]);
    await until(() => c.runcList().length === 0, 60_000, "every container removed");
    await assert.rejects(c.client.call("serviceInspect", { params: { ref: "web" } }), /no service/);
  });

  it("an update whose tasks fail is rolled back and the command says so; service rollback undoes a good update", async () => {
    await c.shoal([
      "service",
      "create",
      "--name",
      "upd",
      "--replicas",
      "2",
      "--update-failure-action",
      "rollback",
      "--update-monitor",
      "1s",
      image,
      "sleep",
      "100000",
    ]);
    const first = running(await c.tasks("upd"));
    assert.equal(first.length, 2);
    // An image no registry serves (a closed port on loopback): the new task is rejected, the update rolled back.
    const failed = await c.shoal(["service", "update", "--image", "127.0.0.1:1/nope:1", "upd"]).then(
      () => "",
      (e: Error) => e.message,
    );
    assert.match(failed, /update rolled back: task upd\.1 (rejected|failed)/, "the command fails and says why");
    const s = await c.client.call("serviceInspect", { params: { ref: "upd" } });
    assert.deepEqual([s.spec.taskTemplate.container.image, s.updateStatus?.state], [image, "rollback_completed"]);
    const afterRollback = running(await c.tasks("upd"));
    assert.equal(afterRollback.length, 2);
    for (const t of afterRollback) assert.equal(t.spec.container.image, image);
    // Stop-first, one slot at a time: the second slot's task was never touched.
    const slot2 = first.find((t) => t.slot === 2);
    assert.ok(slot2 && afterRollback.some((t) => t.id === slot2.id), "slot 2 kept its task");

    await c.shoal(["service", "update", "--env-add", "MODE=new", "upd"]);
    for (const t of running(await c.tasks("upd")))
      assert.ok(t.spec.container.env.includes("MODE=new"), `task ${t.id} runs the new spec`);
    await c.shoal(["service", "rollback", "upd"]);
    const back = await c.client.call("serviceInspect", { params: { ref: "upd" } });
    assert.equal(back.updateStatus?.state, "rollback_completed");
    const rolled = running(await c.tasks("upd"));
    assert.equal(rolled.length, 2);
    for (const t of rolled)
      assert.ok(!t.spec.container.env.includes("MODE=new"), `task ${t.id} runs the previous spec`);
    await until(
      () => c.runcList().filter((r) => r.status === "running").length === 2,
      60_000,
      "only the 2 rolled-back containers running",
    );
    await c.shoal(["service", "rm", "upd"]);
    await until(() => c.runcList().length === 0, 60_000, "every container removed");
  });

  it("cluster leave takes everything of the node away: daemons, containers, bridge, cgroup parent, state", async () => {
    await c.shoal(["service", "create", "--name", "last", "--replicas", "2", image, "sleep", "100000"]);
    assert.equal(running(await c.tasks("last")).length, 2);
    const [managerPid, agentPid] = [c.pid("manager"), c.pid("agent")];
    await c.shoal(["cluster", "leave", "--force", "--data-dir", c.dataDir, "--run-dir", c.runDir]);
    assert.equal(alive(managerPid) || alive(agentPid), false, "the daemons stopped");
    assert.deepEqual(c.runcList(), [], "no container left");
    assert.equal(existsSync(`/sys/class/net/${c.bridge}`), false, `bridge ${c.bridge} removed`);
    const cgroups = readdirSync("/sys/fs/cgroup")
      .map((ctl) => `/sys/fs/cgroup/${ctl}/${c.cgroupParent}`)
      .filter((d) => existsSync(d));
    assert.deepEqual(cgroups, [], "the cgroup parent removed from every controller");
    assert.equal(
      existsSync(`${c.dataDir}/manager`) || existsSync(`${c.dataDir}/agent`),
      false,
      "the node's state removed",
    );
  });
});
