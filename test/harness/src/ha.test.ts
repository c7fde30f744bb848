// Over 400 lines: every HA scenario runs on one cluster of 3 managers and 3 workers started once for the file;
// splitting it would start that cluster again for each part, minutes more in every CI run.
import assert from "node:assert/strict";
import { after, before, describe, test as nodeTest } from "node:test";
import type { Info, ShoalClient, Task } from "@shoal/api";
import { ensureBusyboxTarball } from "@shoal/runtime/testing";
import { chromium } from "playwright-core";
import { startCluster, type HarnessCluster } from "./cluster.js";
import { API_PORT, DATA_DIR, RUN_DIR, type HarnessNode } from "./node.js";
import { loggedTest } from "./logged-test.js";
import { accessTokenOf, chromiumTrusting } from "./trust.js";
import { until } from "./until.js";
import {
  checkOperations,
  HistoryRecorder,
  KV_UNKNOWN,
  kvModel,
  type KvInput,
  type KvOutput,
} from "@shoal/raft/testing";

describe("highly available managers: 3 managers and 3 workers", { timeout: 900_000 }, () => {
  let c: HarnessCluster | undefined;
  let image = "busybox:latest";
  const cluster = (): HarnessCluster => {
    if (!c) throw new Error("the cluster did not start");
    return c;
  };
  /** A client of one manager only (the suite's faults need to know which one answers). */
  const clientOf = (m: HarnessNode): ShoalClient =>
    cluster().client({ managers: [`${m.address}:${API_PORT}`], timeoutMs: 5_000 });
  const infoOf = (m: HarnessNode): Promise<Info> => clientOf(m).call("info");
  /** The manager that leads, as the given managers agree on it. */
  const leaderAmong = (managers: readonly HarnessNode[]): Promise<HarnessNode> =>
    until(
      async () => {
        const infos = await Promise.all(managers.map((m) => infoOf(m).catch(() => undefined)));
        const leaders = managers.filter((_, i) => infos[i]?.raft.leader === true);
        const agreed = infos.every(
          (x) => x === undefined || x.raft.leaderApiAddr === infos.find((y) => y?.raft.leader)?.raft.leaderApiAddr,
        );
        return leaders.length === 1 && agreed ? leaders[0] : undefined;
      },
      60_000,
      "one leader that every reachable manager agrees on",
    );
  const runningOf = async (client: ShoalClient, service: string): Promise<Task[]> =>
    (await client.call("taskList", { query: { service } })).filter(
      (t) => t.desiredState === "running" && t.status.state === "running",
    );
  /** Asserts that no slot of the service has two running tasks. */
  const noDuplicateSlots = (tasks: readonly Task[]): void => {
    const slots = tasks.map((t) => t.slot);
    assert.equal(new Set(slots).size, slots.length, `no slot runs twice: ${slots.join(", ")}`);
  };

  const test = loggedTest(nodeTest, () => c?.nodes ?? []);

  before(async () => {
    const tar = await ensureBusyboxTarball();
    c = await startCluster({ managers: 3, workers: 3 });
    image = await c.loadImage(tar);
  });
  after(async () => {
    await c?.destroy();
  });

  test("three managers joined with the manager token are voters that agree on one leader", async () => {
    const leader = await leaderAmong(cluster().managers);
    const infos = await Promise.all(cluster().managers.map(infoOf));
    assert.equal(new Set(infos.map((i) => i.raft.term)).size, 1, "one term");
    const status = await clientOf(cluster().managers.find((m) => m !== leader)!).call("clusterStatus");
    assert.deepEqual(
      status.managers.map((m) => [m.role, m.reachable]),
      [
        ["voter", true],
        ["voter", true],
        ["voter", true],
      ],
      "every manager a reachable voter",
    );
    assert.equal(status.source, "leader", "a follower answers with the leader's view");
    const listed = (await clientOf(leader).call("clusterInspect")).managers;
    assert.deepEqual(
      listed.map((m) => m.apiAddr).sort(),
      cluster()
        .managers.map((m) => `${m.address}:${API_PORT}`)
        .sort(),
    );
    // Every manager's API serves reads and forwards writes to the leader.
    for (const m of cluster().managers) {
      await clientOf(m).call("networkCreate", { body: { name: `from-${m.hostname}` } });
    }
    const names = (await clientOf(leader).call("networkList")).map((n) => n.spec.name);
    for (const m of cluster().managers) assert.ok(names.includes(`from-${m.hostname}`));
  });

  test("kill -9 of the leader and its bus server during a stream of service updates: a new leader, every acknowledged update kept, no task restarted", async () => {
    const old = await leaderAmong(cluster().managers);
    const others = cluster().managers.filter((m) => m !== old);
    await clientOf(others[0]!).call("serviceCreate", {
      body: {
        name: "steady",
        mode: { mode: "replicated", replicas: 6 },
        taskTemplate: { container: { image, args: ["sleep", "3600"] } },
      },
    });
    await until(
      async () => (await runningOf(clientOf(others[0]!), "steady")).length === 6,
      120_000,
      "6 running tasks of steady",
    );
    // One writer updates a service (a label and the version it read), alternating between the two survivors;
    // an update whose answer never came may or may not have landed.
    await clientOf(others[0]!).call("serviceCreate", {
      body: { name: "stream", mode: { mode: "replicated", replicas: 0 }, taskTemplate: { container: { image } } },
    });
    let lastAcked = -1;
    const attempted: number[] = [];
    let tasksBefore: string[] = [];
    let next: HarnessNode | undefined;
    /** The leader's manager and its bus server die: the agents using that server move to another manager's. */
    const failover = async () => {
      tasksBefore = (await runningOf(clientOf(others[0]!), "steady")).map((t) => t.id).sort();
      await old.kill("manager");
      await old.execOk(["pkill", "-KILL", "-x", "nats-server"]);
      next = await leaderAmong(others);
    };
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const api = clientOf(others[i % 2]!);
        try {
          const svc = await api.call("serviceInspect", { params: { ref: "stream" } });
          attempted.push(i);
          await api.call("serviceUpdate", {
            params: { ref: "stream" },
            body: { version: svc.version, spec: { ...svc.spec, labels: { n: String(i) } } },
          });
          lastAcked = i;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await until(() => lastAcked >= 5, 30_000, "updates acknowledged before the kill");
    // A dashboard open on a follower: it must stay live through the failover and name the new leader. The
    // browser accepts that manager's key, whose certificate comes from the cluster's private CA.
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", ...(await chromiumTrusting(others[1]!))],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(e.message));
      await page.goto(`https://${others[1]!.address}:${API_PORT}/`);
      // Sessions are per manager: the page signs in on the follower that served it, with root's access token.
      await page.getByLabel("Access token").fill(await accessTokenOf(cluster().managers[0]!));
      await page.getByRole("button", { name: "Sign in" }).click();
      const managers = page.getByRole("region", { name: "Managers" });
      await managers.getByText(`at ${old.address}:${API_PORT}`).first().waitFor({ timeout: 30_000 });
      await failover();
      await managers
        .getByText(new RegExp(`Leader: manager \\d+ at ${next?.address.replaceAll(".", "\\.")}:${API_PORT}`))
        .waitFor({ timeout: 30_000 });
      assert.equal(
        await page.getByRole("status").filter({ hasText: "live" }).count(),
        1,
        "the follower's page stayed live",
      );
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }
    const leader = next;
    assert.ok(leader, "a new leader");
    assert.notEqual(leader, old);
    const before = lastAcked;
    await until(() => lastAcked >= before + 5, 60_000, "updates acknowledged by the new leader");
    stop = true;
    await writer;
    const final = Number((await clientOf(leader).call("serviceInspect", { params: { ref: "stream" } })).spec.labels.n);
    assert.ok(
      final >= lastAcked && attempted.includes(final),
      `the last acknowledged update (${lastAcked}) is kept: found ${final}`,
    );
    await until(
      async () => (await runningOf(clientOf(leader), "steady")).length === 6,
      60_000,
      "steady back to 6 running",
    );
    noDuplicateSlots(await runningOf(clientOf(leader), "steady"));
    assert.deepEqual(
      (await runningOf(clientOf(leader), "steady")).map((t) => t.id).sort(),
      tasksBefore,
      "no task was restarted or replaced because of the failover",
    );
    // Every agent still heartbeats (through another bus server for those that used the dead one).
    const nodes = await clientOf(leader).call("nodeList", {});
    await until(
      async () => (await clientOf(leader).call("nodeList", {})).every((n) => n.status.state === "ready"),
      30_000,
      "every node ready after the failover",
    );
    assert.equal(nodes.length, cluster().nodes.length);
    // The old leader comes back as a follower and catches up.
    await old.restart("manager");
    await until(
      async () => (await infoOf(old)).raft.appliedIndex >= (await infoOf(leader)).raft.commitIndex,
      60_000,
      "the restarted manager to catch up",
    );
    assert.equal((await infoOf(old)).raft.leader, false);
  });

  test("a worker frozen (as if dead): its tasks run elsewhere; back again, no slot runs twice", async () => {
    const leader = await leaderAmong(cluster().managers);
    const client = clientOf(leader);
    const nodes = await client.call("nodeList", {});
    const tasks = await runningOf(client, "steady");
    const victim = cluster().workers.find((w) =>
      tasks.some((t) => nodes.find((n) => n.id === t.nodeId)?.description.hostname === w.hostname),
    );
    assert.ok(victim, "a worker runs a task of steady");
    const victimId = nodes.find((n) => n.description.hostname === victim.hostname)?.id;
    await victim.pause();
    try {
      await until(
        async () => {
          const now = await runningOf(client, "steady");
          return now.length === 6 && now.every((t) => t.nodeId !== victimId);
        },
        120_000,
        `steady's tasks to run off ${victim.hostname}`,
      );
    } finally {
      await victim.unpause();
    }
    await until(
      async () => (await client.call("nodeInspect", { params: { ref: victim.hostname } })).status.state === "ready",
      60_000,
      `${victim.hostname} ready again`,
    );
    // Give the returned agent's stale tasks a moment to be told to stop, then check there is no duplicate.
    await until(
      async () => {
        const now = await runningOf(client, "steady");
        return now.length === 6 && new Set(now.map((t) => t.slot)).size === 6;
      },
      60_000,
      "6 running tasks of steady, one per slot",
    );
    // The returned worker stops what was replaced: every container still running there is a running task.
    const running = new Set((await runningOf(client, "steady")).map((t) => t.id));
    await until(
      async () => {
        const list = JSON.parse(
          await victim.execOk(["runc", "--root", "/run/shoal/runtime/runc", "list", "--format", "json"]),
        ) as { id: string; status: string }[] | null;
        return (list ?? []).every((x) => x.status !== "running" || running.has(x.id));
      },
      60_000,
      `the replaced tasks' containers on ${victim.hostname} to stop`,
    );
  });

  test("the leader cut off from the other managers steps down, the majority serves, the minority refuses writes; healed, one history (checked for linearizability)", async () => {
    const old = await leaderAmong(cluster().managers);
    const others = cluster().managers.filter((m) => m !== old);
    const kv = "kv";
    await clientOf(others[0]!).call("serviceCreate", {
      body: { name: kv, mode: { mode: "replicated", replicas: 0 }, taskTemplate: { container: { image } } },
    });
    // Three clients, one per manager, each reading the key and compare-and-setting it through the service's
    // labels and version, record a history while the partition comes and goes.
    const rec = new HistoryRecorder<KvInput, KvOutput>(KV_UNKNOWN);
    let stop = false;
    let n = 0;
    const clientLoop = async (id: number, m: HarnessNode): Promise<void> => {
      const api = clientOf(m);
      while (!stop) {
        const get = rec.call(id, { op: "get", key: kv }, performance.now());
        let seen: { value: string | null; version: number } | undefined;
        try {
          const s = await api.call("serviceInspect", { params: { ref: kv } });
          seen = { value: s.spec.labels.v ?? null, version: s.version };
          get.ok({ value: seen.value }, performance.now());
        } catch {
          get.unknown();
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const value = `c${id}-${n++}`;
        const cas = rec.call(id, { op: "cas", key: kv, expected: seen.value, value }, performance.now());
        try {
          const s = await api.call("serviceInspect", { params: { ref: kv } }).then((x) => x.spec);
          if (s.labels.v !== (seen.value ?? undefined)) {
            // Someone wrote meanwhile: this client does not try, so the call had no effect and did not swap.
            cas.ok({ ok: false }, performance.now());
            continue;
          }
          await api.call("serviceUpdate", {
            params: { ref: kv },
            body: { version: seen.version, spec: { ...s, labels: { ...s.labels, v: value } } },
          });
          cas.ok({ ok: true }, performance.now());
        } catch (e) {
          if ((e as { status?: number }).status === 409) cas.ok({ ok: false }, performance.now());
          else {
            cas.unknown();
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
    };
    const loops = cluster().managers.map((m, i) => clientLoop(i + 1, m));
    await until(() => n >= 6, 30_000, "writes before the partition");

    await cluster().partition([old], others);
    try {
      const next = await leaderAmong(others);
      assert.notEqual(next, old, "the majority elects another leader");
      await until(async () => (await infoOf(old)).raft.leader === false, 30_000, "the cut-off leader to step down");
      const refused = await clientOf(old)
        .call("networkCreate", { body: { name: "minority" } })
        .then(
          () => undefined,
          (e: unknown) => e as { status?: number },
        );
      assert.equal(refused?.status, 503, "the minority refuses writes");
      const at = n;
      await until(() => n >= at + 6, 60_000, "writes through the majority during the partition");
    } finally {
      await cluster().heal();
    }
    const healed = await leaderAmong(cluster().managers);
    await until(
      async () => {
        const infos = await Promise.all(cluster().managers.map(infoOf));
        return infos.every((i) => i.raft.appliedIndex >= infos.find((x) => x.raft.leader)!.raft.commitIndex);
      },
      60_000,
      "every manager to apply the one history",
    );
    const at = n;
    await until(() => n >= at + 6, 60_000, "writes after the heal");
    stop = true;
    await Promise.all(loops);
    assert.ok(
      !(await clientOf(healed).call("networkList")).some((x) => x.spec.name === "minority"),
      "the refused write left nothing",
    );
    const check = checkOperations(kvModel, rec.operations(), { timeoutMs: 60_000 });
    assert.equal(check.result, "ok", check.info);
  });

  test("kill -9 of every manager at once, then a restart: nothing acknowledged is lost", async () => {
    const leader = await leaderAmong(cluster().managers);
    const written: string[] = [];
    for (let i = 0; i < 10; i++) {
      const name = `all${i}`;
      await clientOf(leader).call("networkCreate", { body: { name } });
      written.push(name);
    }
    await Promise.all(cluster().managers.map((m) => m.kill("manager")));
    await Promise.all(cluster().managers.map((m) => m.restart("manager")));
    const next = await leaderAmong(cluster().managers);
    const names = new Set((await clientOf(next).call("networkList")).map((n) => n.spec.name));
    for (const name of written) assert.ok(names.has(name), `${name} survived`);
    await until(
      async () => (await runningOf(clientOf(next), "steady")).length === 6,
      120_000,
      "steady running after the restart",
    );
    noDuplicateSlots(await runningOf(clientOf(next), "steady"));
  });
  test("demoting a manager takes it out of Raft and stops it; a demotion that would lose the quorum is refused; promoting starts one again", async () => {
    const leader = await leaderAmong(cluster().managers);
    const [b, d] = cluster().managers.filter((m) => m !== leader);
    assert.ok(b && d);
    const api = clientOf(leader);
    // With d's manager down, demoting b would leave the leader alone reachable of two: refused.
    await d.kill("manager");
    await until(
      async () => (await api.call("clusterStatus")).managers.some((m) => !m.reachable),
      30_000,
      "the leader to see a manager unreachable",
    );
    const refused = await api.call("nodeInspect", { params: { ref: b.hostname } }).then((n) =>
      api
        .call("nodeUpdate", {
          params: { ref: n.id },
          body: { version: n.version, spec: { ...n.spec, role: "worker" } },
        })
        .then(
          () => undefined,
          (e: unknown) => e as { status?: number; code?: string },
        ),
    );
    assert.equal(refused?.code, "SHOAL_ERR_QUORUM", "refused: the quorum would be lost");
    await d.restart("manager");
    await until(
      async () => (await api.call("clusterStatus")).managers.every((m) => m.reachable),
      60_000,
      "every manager reachable again",
    );
    // Now d is demoted: out of Raft, off the managers list, its manager process stopped; its node a worker.
    const dPid = await d.pid("manager");
    await leader.shoalOk(["node", "demote", d.hostname]);
    const status = await api.call("clusterStatus");
    assert.deepEqual(
      status.managers.map((m) => m.apiAddr).sort(),
      [leader, b].map((m) => `${m.address}:${API_PORT}`).sort(),
    );
    assert.equal((await api.call("nodeInspect", { params: { ref: d.hostname } })).spec.role, "worker");
    await until(
      async () => dPid === undefined || !(await d.running(dPid)),
      30_000,
      "the demoted manager's process to stop",
    );
    await api.call("networkCreate", { body: { name: "after-demote" } });
    // Promoted again: its agent starts a manager there, which joins (a new Raft id) and becomes a voter.
    await leader.shoalOk(["node", "promote", d.hostname]);
    await until(
      async () =>
        (await api.call("clusterStatus")).managers.filter((m) => m.role === "voter" && m.reachable).length === 3,
      90_000,
      "three voters again after the promotion",
    );
    assert.ok((await api.call("clusterInspect")).managers.some((m) => m.apiAddr === `${d.address}:${API_PORT}`));
    const dInfo = await until(() => infoOf(d), 60_000, "the promoted node's manager API");
    assert.equal(dInfo.raft.leader, false);
  });

  test("quorum lost: writes answer 503; cluster init --force-new-cluster on the survivor keeps the state, and managers can join again", async () => {
    const [survivor, lost1, lost2] = cluster().managers;
    assert.ok(survivor && lost1 && lost2);
    await clientOf(survivor).call("networkCreate", { body: { name: "before-loss" } });
    await Promise.all([lost1.kill("manager"), lost2.kill("manager")]);
    // Once the survivor has noticed, writes answer 503 saying a majority is unreachable.
    const refused = await until(
      async () => {
        const e = await clientOf(survivor)
          .call("networkCreate", { body: { name: "no-quorum" } })
          .then(
            () => undefined,
            (x: unknown) => x as { status?: number; code?: string; message?: string },
          );
        // A write proposed before the loss was noticed times out (504); one that finds the leader gone says so
        // (503 no leader) until this manager sees that no majority is left.
        return e?.code === "SHOAL_ERR_NO_QUORUM" ? e : undefined;
      },
      60_000,
      "a write to be refused without quorum",
    );
    assert.equal(refused.status, 503, `refused with 503 (${refused.code ?? ""})`);
    assert.match(refused.message ?? "", /majority|quorum/i, "saying that a majority of managers is unreachable");
    // Recover on the survivor: stop its manager (its state stays), then re-form the cluster from it.
    await survivor.kill("manager", "SIGTERM");
    await survivor.shoalOk([
      "cluster",
      "init",
      "--force-new-cluster",
      "--data-dir",
      DATA_DIR,
      "--run-dir",
      RUN_DIR,
      "--listen-addr",
      "0.0.0.0",
      "--advertise-addr",
      survivor.address,
      "--cgroup-parent",
      survivor.cgroupParent,
    ]);
    await until(async () => (await infoOf(survivor)).raft.leader, 60_000, "the survivor to lead alone");
    const api = clientOf(survivor);
    const names = new Set((await api.call("networkList")).map((n) => n.spec.name));
    assert.ok(names.has("before-loss") && !names.has("no-quorum"), "committed state kept, the refused write absent");
    assert.deepEqual(
      (await api.call("clusterInspect")).managers.map((m) => m.apiAddr),
      [`${survivor.address}:${API_PORT}`],
    );
    await api.call("networkCreate", { body: { name: "after-recovery" } });
    await until(
      async () => (await runningOf(api, "steady")).length === 6,
      120_000,
      "steady running after the recovery",
    );
    noDuplicateSlots(await runningOf(api, "steady"));
    // A lost manager's node, wiped, joins again as a manager.
    // Join tokens are shown on a manager's own machine only.
    const token = (
      await survivor.shoalOk(["cluster", "join-token", "-q", "manager", "--host", `127.0.0.1:${API_PORT}`])
    ).trim();
    await lost1.shoalOk(["cluster", "leave", "--force", "--data-dir", DATA_DIR, "--run-dir", RUN_DIR]);
    await lost1.shoalOk([
      "cluster",
      "join",
      "--data-dir",
      DATA_DIR,
      "--run-dir",
      RUN_DIR,
      "--token",
      token,
      "--listen-addr",
      "0.0.0.0",
      "--advertise-addr",
      lost1.address,
      "--cgroup-parent",
      lost1.cgroupParent,
      `${survivor.address}:${API_PORT}`,
    ]);
    await until(
      async () => (await infoOf(lost1)).raft.appliedIndex >= (await infoOf(survivor)).raft.commitIndex,
      60_000,
      "the new manager to catch up",
    );
    assert.equal((await api.call("clusterInspect")).managers.length, 2);
  });
});
