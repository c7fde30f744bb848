// The Shoal side: a one-node cluster started with the CLI (manager and agent daemons, data and run dirs in a
// temp dir, ports on loopback), the busybox image loaded into its agent, and the probes the benchmark polls.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { trustedClient } from "../../libs/api/dist/node-main.js";
import { freePorts } from "../../libs/raft/dist/testing/index.js";
import { removeCgroupTree } from "../../libs/runtime/dist/testing/index.js";
import { readPid, removeTree, rssKiB, run, sleep, stopProcess, systemRssKiB, unixGet } from "./procs.mjs";

const CLI = fileURLToPath(new URL("../../apps/cli/bin/shoal.mjs", import.meta.url));
// `shoal image load` of the busybox OCI tarball names it busybox:latest (its index's image name).
const IMAGE = "busybox";

/**
 * Starts a one-node Shoal cluster under `dir` and loads the busybox image. The returned side creates and removes
 * services with the `shoal` CLI and answers the benchmark's probes through the manager's REST API (HTTPS, trusting
 * the cluster's bundle `cluster init` wrote in the data dir) and the agent's socket.
 */
export async function startShoal({ dir, tarball }) {
  const dataDir = join(dir, "shoal");
  const runDir = join(dir, "run");
  const [api, raft, nats, natsCluster] = await freePorts(4);
  const base = `https://127.0.0.1:${api}`;
  /** The API's TLS connections, once the cluster has its trust bundle. */
  let tls;
  const get = (path) => tls.fetch(`${base}${path}`);
  const agentSocket = join(runDir, "agent.sock");
  const cgroupParent = `shoal-bench-${process.pid}`;
  const env = { SHOAL_HOST: `127.0.0.1:${api}` };
  // Every call is a two-word command (`service create`, `cluster init`, ...): the dirs go right after it, since
  // `service create` takes everything after the image as the container's command.
  const shoal = (args, timeoutMs) =>
    run(process.execPath, [CLI, ...args.slice(0, 2), "--data-dir", dataDir, "--run-dir", runDir, ...args.slice(2)], {
      env,
      timeoutMs,
    });
  const pids = () => ({ manager: readPid(join(dataDir, "manager.pid")), agent: readPid(join(dataDir, "agent.pid")) });
  let stopping;
  const side = {
    name: "shoal",
    dir,
    pids,
    /** `shoal service create -d` of `n` replicas of busybox `sleep 3600`. */
    create: (name, n) =>
      shoal(["service", "create", "-d", "--name", name, "--replicas", String(n), IMAGE, "sleep", "3600"]),
    remove: (name) => shoal(["service", "rm", name]),
    /** `shoal service update -d --env-add KEY=VALUE`: a new template, so a rolling update with the defaults. */
    update: (name, env) => shoal(["service", "update", "-d", "--env-add", env, name]),
    /** The service's update status (`updating`, `completed`, ...), or "" before any update. */
    updateState: async (name) => {
      const res = await get(`/v1/services/${encodeURIComponent(name)}`);
      if (res.status !== 200)
        throw new Error(
          `bench: the manager answered ${res.status} to GET /v1/services/${name}: ${(await res.text()).slice(0, 300)}`,
        );
      return (await res.json()).updateStatus?.state ?? "";
    },
    /** Tasks of the service whose desired and observed states are both running. */
    running: async (name) => {
      const res = await get(`/v1/tasks?service=${encodeURIComponent(name)}`);
      // Not created yet as far as this manager has applied.
      if (res.status === 404) return 0;
      if (res.status !== 200)
        throw new Error(
          `bench: the manager answered ${res.status} to GET /v1/tasks: ${(await res.text()).slice(0, 300)}`,
        );
      const tasks = await res.json();
      return tasks.filter((t) => t.status?.state === "running" && t.desiredState === "running").length;
    },
    /** Containers the agent holds, in any state (its /v1/info). Only one service exists at a time. */
    containers: async () => {
      const r = await unixGet(agentSocket, "/v1/info");
      if (r.status !== 200)
        throw new Error(
          `bench: the agent answered ${r.status} to GET /v1/info: ${JSON.stringify(r.body).slice(0, 300)}`,
        );
      const c = r.body.containers;
      if (typeof c === "number") return c;
      if (Array.isArray(c)) return c.length;
      throw new Error(`bench: the agent's /v1/info has no containers count: ${JSON.stringify(r.body).slice(0, 300)}`);
    },
    /** RSS in KiB of the manager and agent daemons, and of every process of this side (nats-server, shims). */
    memory: () => {
      const { manager, agent } = pids();
      const parts = { manager: manager ? rssKiB(manager) : 0, agent: agent ? rssKiB(agent) : 0 };
      return { mainKiB: parts.manager + parts.agent, parts, totalKiB: systemRssKiB(dir) };
    },
    version: async () => {
      const res = await get("/v1/info");
      return res.ok ? String((await res.json()).version ?? "unknown") : "unknown";
    },
    /** Removes everything of this side; once, however often it is called (the run and Ctrl-C may both). */
    stop: () =>
      (stopping ??= (async () => {
        const { manager, agent } = pids();
        await tls?.close();
        await shoal(["cluster", "leave", "--force"], 180_000).catch((e) => console.error(`bench: ${e.message}`));
        await Promise.all([stopProcess(agent), stopProcess(manager)]);
        await removeTree(dir);
        // Leave removes the containers and their cgroups, not the parent it was given.
        removeCgroupTree(cgroupParent);
      })()),
  };
  try {
    await shoal(
      [
        "cluster",
        "init",
        "--advertise-addr",
        "127.0.0.1",
        "--listen-addr",
        "127.0.0.1",
        "--api-port",
        String(api),
        "--raft-port",
        String(raft),
        "--nats-port",
        String(nats),
        "--nats-cluster-port",
        String(natsCluster),
        // Its own cgroup parent and bridge, so the run keeps clear of a cluster already on this machine.
        "--cgroup-parent",
        cgroupParent,
        "--bridge",
        "shbench0",
        "--bridge-subnet",
        "10.215.0.0/16",
      ],
      180_000,
    );
    // As the cluster's admin, with the bundle `cluster init` wrote.
    const admin = (f) => readFileSync(join(dataDir, "admin", f), "utf8");
    tls = trustedClient({
      managers: [`127.0.0.1:${api}`],
      trust: admin("ca.pem"),
      cert: admin("cert.pem"),
      key: admin("key.pem"),
    });
    await shoal(["image", "load", "-i", tarball], 120_000);
    await waitForReadyNode(get);
  } catch (e) {
    await side.stop();
    throw e;
  }
  return side;
}

/** Waits until the manager lists a node in state ready (the agent's registration has been applied). */
async function waitForReadyNode(get) {
  const deadline = performance.now() + 60_000;
  let last = "no answer";
  for (;;) {
    try {
      const res = await get("/v1/nodes");
      const body = await res.json();
      if (res.ok && body.some((n) => n.status?.state === "ready")) return;
      last = JSON.stringify(body).slice(0, 300);
    } catch (e) {
      last = e.message;
    }
    if (performance.now() > deadline) throw new Error(`bench: no Shoal node became ready within 60 s (${last})`);
    await sleep(200);
  }
}
