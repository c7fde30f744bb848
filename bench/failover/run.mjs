#!/usr/bin/env node
// Failover: how long a Shoal cluster of container nodes (test/harness) takes to accept a write again after its
// leader manager is killed, and to run replacements for every task of a worker that stops answering. Run as
// root (the nodes are privileged containers). See bench/failover/README.md.
//
//   npm run bench:failover -- [--trials 10] [--replicas 6]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBusyboxTarball } from "../../libs/runtime/dist/testing/index.js";
import { API_PORT, startCluster, until } from "../../test/harness/dist/index.js";

const { values: args } = parseArgs({
  options: { trials: { type: "string", default: "10" }, replicas: { type: "string", default: "6" } },
});
const TRIALS = Number(args.trials);
const REPLICAS = Number(args.replicas);
if (!Number.isInteger(TRIALS) || TRIALS <= 0 || !Number.isInteger(REPLICAS) || REPLICAS <= 0) {
  console.error("bench: --trials and --replicas take positive integers");
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (the cluster's nodes are privileged containers)");
  process.exit(2);
}

// Over HTTPS with the cluster's trust bundle; every client shares the connections cluster.destroy() closes.
const clientOf = (m) => cluster.client({ managers: [`${m.address}:${API_PORT}`], timeoutMs: 2_000 });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s.at(-1), min: s[0], all: xs };
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function leaderOf(managers) {
  return until(
    async () => {
      const infos = await Promise.all(
        managers.map((m) =>
          clientOf(m)
            .call("info")
            .catch(() => undefined),
        ),
      );
      const i = infos.findIndex((x) => x?.raft.leader);
      return i >= 0 ? managers[i] : undefined;
    },
    60_000,
    "a leader",
  );
}

const cluster = await startCluster({ managers: 3, workers: 3, name: `fo${Date.now().toString(36).slice(-5)}` });
let stopping;
const stop = () => (stopping ??= cluster.destroy());
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
])
  process.on(signal, () => void stop().finally(() => process.exit(code)));

try {
  const image = await cluster.loadImage(await ensureBusyboxTarball());
  const leaderKill = [];
  const workerLoss = [];

  // Leader failover: writes go to the two other managers every 10 ms; the time is from the fault to the end
  // of the first write that was sent after it and accepted. Two faults: the manager process killed (its
  // sockets close at once, so the others notice at once) and the leader's node frozen (docker pause: no
  // packet says anything, the others notice when heartbeats stop: the election timeout).
  const leaderFreeze = [];
  for (const [fault, list] of [
    ["kill", leaderKill],
    ["freeze", leaderFreeze],
  ])
    for (let t = 1; t <= TRIALS; t++) {
      const leader = await leaderOf(cluster.managers);
      const others = cluster.managers.filter((m) => m !== leader);
      let killedAt = Infinity;
      let firstOk;
      let stopWrites = false;
      const writer = async (m, k) => {
        const c = clientOf(m);
        for (let i = 0; !stopWrites; i++) {
          const sent = performance.now();
          const ok = await c.call("networkCreate", { body: { name: `t${t}m${k}n${i}` } }).then(
            () => true,
            () => false,
          );
          if (ok && sent > killedAt && firstOk === undefined) firstOk = performance.now();
          await sleep(10);
        }
      };
      const writers = others.map((m, k) => writer(m, k));
      await sleep(300);
      killedAt = performance.now();
      if (fault === "kill") await leader.kill("manager");
      else await leader.pause();
      try {
        await until(() => firstOk !== undefined, 60_000, `a write accepted after the ${fault}`, 5);
      } finally {
        stopWrites = true;
        await Promise.all(writers);
        if (fault === "freeze") await leader.unpause();
      }
      const ms = firstOk - killedAt;
      list.push(ms);
      console.log(`bench: leader ${fault} trial ${t}: first accepted write after ${ms.toFixed(0)} ms`);
      if (fault === "kill") await leader.restart("manager");
      await until(async () => (await clientOf(leader).call("info")).raft.appliedIndex > 0, 60_000, "the manager back");
      // Clean up this trial's networks so the store does not grow across trials.
      const nets = await clientOf(others[0]).call("networkList");
      for (const n of nets.filter((x) => x.spec.name.startsWith(`t${t}m`)))
        await clientOf(others[0])
          .call("networkRemove", { params: { ref: n.id } })
          .catch(() => undefined);
    }

  // Worker loss: a worker freezes (docker pause: it stops answering, like a dead host); the time is from the
  // pause to every replica running again, none on that worker.
  const api = () => cluster.client({ timeoutMs: 2_000 });
  await api().call("serviceCreate", {
    body: {
      name: "fo",
      mode: { mode: "replicated", replicas: REPLICAS },
      taskTemplate: { container: { image, args: ["sleep", "3600"] } },
    },
  });
  const runningTasks = async () =>
    (await api().call("taskList", { query: { service: "fo" } })).filter(
      (x) => x.desiredState === "running" && x.status.state === "running",
    );
  for (let t = 1; t <= TRIALS; t++) {
    await until(async () => (await runningTasks()).length === REPLICAS, 120_000, `${REPLICAS} running`);
    const nodes = await api().call("nodeList", {});
    const tasks = await runningTasks();
    const victim = cluster.workers.find((w) =>
      tasks.some((x) => nodes.find((n) => n.id === x.nodeId)?.description.hostname === w.hostname),
    );
    const victimId = nodes.find((n) => n.description.hostname === victim.hostname).id;
    const t0 = performance.now();
    await victim.pause();
    let ms;
    try {
      await until(
        async () => {
          const now = await runningTasks();
          return now.length === REPLICAS && now.every((x) => x.nodeId !== victimId);
        },
        120_000,
        "replacements running",
        20,
      );
      ms = performance.now() - t0;
    } finally {
      await victim.unpause();
    }
    workerLoss.push(ms);
    console.log(`bench: worker loss trial ${t}: replacements running after ${ms.toFixed(0)} ms`);
    await until(
      async () => (await api().call("nodeInspect", { params: { ref: victim.hostname } })).status.state === "ready",
      60_000,
      "the worker back",
    );
    // Spread the tasks again (the returned worker has none): scale down and up.
    await api().call("serviceScale", { params: { ref: "fo" }, body: { replicas: 0 } });
    await until(async () => (await runningTasks()).length === 0, 60_000, "scaled to 0");
    await api().call("serviceScale", { params: { ref: "fo" }, body: { replicas: REPLICAS } });
  }

  const info = await clientOf(cluster.managers[0]).call("clusterInspect");
  const result = {
    when: new Date().toISOString(),
    trials: TRIALS,
    replicas: REPLICAS,
    heartbeatPeriodMs: info.spec.heartbeatPeriodMs,
    leaderKillToWriteMs: stats(leaderKill),
    leaderFreezeToWriteMs: stats(leaderFreeze),
    workerLossToReplacementsMs: stats(workerLoss),
  };
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `failover-${result.when.replaceAll(":", "-").replaceAll(".", "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const f = (s) => `${(s.median / 1000).toFixed(2)} s median, ${(s.max / 1000).toFixed(2)} s max`;
  console.log(
    `\nFailover, ${TRIALS} trials, 3 managers and 3 workers (container nodes), defaults (heartbeat ${info.spec.heartbeatPeriodMs} ms)\n`,
  );
  console.log(`| measure | median s | max s | goal |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| leader killed -> first accepted write | ${(result.leaderKillToWriteMs.median / 1000).toFixed(2)} | ${(result.leaderKillToWriteMs.max / 1000).toFixed(2)} | < 2 |`,
  );
  console.log(
    `| leader's node frozen -> first accepted write | ${(result.leaderFreezeToWriteMs.median / 1000).toFixed(2)} | ${(result.leaderFreezeToWriteMs.max / 1000).toFixed(2)} | < 2 |`,
  );
  console.log(
    `| worker lost -> all replacements running (${REPLICAS} replicas) | ${(result.workerLossToReplacementsMs.median / 1000).toFixed(2)} | ${(result.workerLossToReplacementsMs.max / 1000).toFixed(2)} | < 5 |`,
  );
  console.log(
    `\nleader killed: ${f(result.leaderKillToWriteMs)}; leader frozen: ${f(result.leaderFreezeToWriteMs)}; worker lost: ${f(result.workerLossToReplacementsMs)}`,
  );
  console.log(`bench: results written to ${file}`);
} finally {
  await stop();
}
