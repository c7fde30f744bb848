// The Docker Swarm side: a dockerd of its own (data, exec root and socket in a temp dir), a one-node swarm on
// loopback, the busybox image imported as busybox:bench, and the probes the benchmark polls.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { freePorts } from "../../libs/raft/dist/testing/index.js";
import { alive, readPid, removeTree, rssKiB, run, sleep, stopProcess, systemRssKiB, unixGet } from "./procs.mjs";

const IMAGE = "busybox:bench";
// The Engine API version of Debian's Docker 20.10; the probes ask the daemon directly, like `docker service ps`.
const API = "/v1.41";

/** The bridge the benchmark's dockerd attaches plain containers to (it runs none; Swarm's tasks use overlays). */
const BRIDGE = "shbenchd0";

/** Installs Debian's docker.io when dockerd is missing (the benchmark's only use of Docker). */
async function ensureDocker() {
  if (existsSync("/usr/sbin/dockerd")) return;
  console.error("bench: installing docker.io (Debian's Docker 20.10) for the Swarm side");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], { env, timeoutMs: 300_000 });
  await run("apt-get", ["install", "-y", "-qq", "docker.io"], { env, timeoutMs: 600_000 });
}

/** A UDP port in Swarm's allowed data-path range (1024-49151) that nothing holds now. */
async function freeUdpPort() {
  for (let i = 0; i < 50; i++) {
    const port = 30_000 + Math.floor(Math.random() * 19_000);
    const ok = await new Promise((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(port, () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error("bench: found no free UDP port for Swarm's data path in 30000-49000");
}

/**
 * Imports the busybox OCI image tarball into dockerd: Docker 20.10's `docker load` does not read OCI layouts,
 * so its single layer goes through `docker import` with the image config's Env, Cmd and WorkingDir.
 */
async function importBusybox(docker, tarball, dir) {
  const layout = join(dir, "layout");
  mkdirSync(layout, { recursive: true });
  await run("tar", ["-xf", tarball, "-C", layout]);
  const blob = (digest) => join(layout, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), "utf8"));
  if (manifest.layers.length !== 1)
    throw new Error(`bench: expected a one-layer busybox image, ${tarball} has ${manifest.layers.length} layers`);
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), "utf8")).config ?? {};
  const changes = [
    ...(config.Env ?? []).map((e) => `ENV ${e}`),
    ...(config.Cmd ? [`CMD ${JSON.stringify(config.Cmd)}`] : []),
    ...(config.WorkingDir ? [`WORKDIR ${config.WorkingDir}`] : []),
  ];
  await docker(["import", ...changes.flatMap((c) => ["--change", c]), blob(manifest.layers[0].digest), IMAGE]);
}

/**
 * Starts dockerd under `dir` with a one-node swarm and the busybox image loaded. The returned side creates and
 * removes services with the docker CLI and answers the benchmark's probes through the Engine API.
 */
export async function startSwarm({ dir, tarball }) {
  await ensureDocker();
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, "docker.sock");
  const pidFile = join(dir, "docker.pid");
  // Debian's client speaks the daemon's API version; another `docker` earlier on PATH may be newer.
  const client = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
  const docker = (args, timeoutMs) => run(client, ["-H", `unix://${socket}`, ...args], { timeoutMs });
  const log = openSync(join(dir, "dockerd.log"), "a");
  // A bridge of its own, no iptables rules, no ip_forward change: the host's networking stays as it was. Not
  // `--bridge=none`: a dockerd started so deletes the host's docker0, breaking the system dockerd's default
  // network. Swarm's own networks (ingress, docker_gwbridge) take addresses from pools unlikely to meet
  // anything else here.
  await run("ip", ["link", "del", BRIDGE]).catch(() => {});
  await run("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  await run("ip", ["addr", "add", "10.251.255.1/24", "dev", BRIDGE]);
  const daemon = spawn(
    "/usr/sbin/dockerd",
    [
      "--data-root",
      join(dir, "data"),
      "--exec-root",
      join(dir, "exec"),
      "--pidfile",
      pidFile,
      "-H",
      `unix://${socket}`,
      `--bridge=${BRIDGE}`,
      "--iptables=false",
      "--ip-forward=false",
      "--ip-masq=false",
      "--default-address-pool",
      "base=10.252.0.0/16,size=24",
    ],
    // DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: Swarm's agent otherwise tries to pull a tag from Docker Hub before
    // every task start, even when the image is local; here that would leave the machine and time a failed lookup.
    { stdio: ["ignore", log, log], env: { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" } },
  );
  let stopping;
  const side = {
    name: "swarm",
    dir,
    pids: () => ({ dockerd: daemon.pid, containerd: childPid(daemon.pid, "containerd") }),
    /** `docker service create` of `n` replicas of busybox `sleep 3600`, detached. */
    create: (name, n) =>
      // --no-resolve-image: the image exists only here; asking a registry for its digest would leave the machine.
      // --init: a tiny init as PID 1 forwards SIGTERM to sleep, as Shoal's default init does; without it, sleep
      // ignores SIGTERM and every removal waits out Swarm's 10 s stop grace period.
      docker([
        "service",
        "create",
        "--detach",
        "--no-resolve-image",
        "--init",
        "--name",
        name,
        "--replicas",
        String(n),
        IMAGE,
        "sleep",
        "3600",
      ]),
    remove: (name) => docker(["service", "rm", name]),
    /** `docker service update --env-add KEY=VALUE`, detached: a rolling update with Swarm's defaults. */
    update: (name, env) => docker(["service", "update", "--detach", "--no-resolve-image", "--env-add", env, name]),
    /** The service's UpdateStatus.State (`updating`, `completed`, ...), or "" before any update. */
    updateState: async (name) => {
      const r = await unixGet(socket, `${API}/services/${encodeURIComponent(name)}`);
      if (r.status !== 200)
        throw new Error(
          `bench: dockerd answered ${r.status} to GET /services/${name}: ${JSON.stringify(r.body).slice(0, 300)}`,
        );
      return r.body.UpdateStatus?.State ?? "";
    },
    /** Tasks of the service that the swarm wants running and that are running (what `docker service ps` lists). */
    running: async (name) => {
      const filters = encodeURIComponent(JSON.stringify({ service: [name], "desired-state": ["running"] }));
      const r = await unixGet(socket, `${API}/tasks?filters=${filters}`);
      if (r.status !== 200)
        throw new Error(`bench: dockerd answered ${r.status} to GET /tasks: ${JSON.stringify(r.body).slice(0, 300)}`);
      return r.body.filter((t) => t.Status?.State === "running").length;
    },
    /** Containers of the service, in any state (`docker ps -a --filter label=com.docker.swarm.service.name=...`). */
    containers: async (name) => {
      const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.swarm.service.name=${name}`] }));
      const r = await unixGet(socket, `${API}/containers/json?all=true&filters=${filters}`);
      if (r.status !== 200)
        throw new Error(
          `bench: dockerd answered ${r.status} to GET /containers/json: ${JSON.stringify(r.body).slice(0, 300)}`,
        );
      return r.body.length;
    },
    /** RSS in KiB of dockerd, of its containerd, and of every process of this side (shims included). */
    memory: () => {
      const { dockerd, containerd } = side.pids();
      return {
        mainKiB: rssKiB(dockerd),
        parts: { dockerd: rssKiB(dockerd), containerd: containerd ? rssKiB(containerd) : 0 },
        totalKiB: systemRssKiB(dir),
      };
    },
    version: async () => (await docker(["version", "--format", "{{.Server.Version}}"])).trim(),
    /** Removes everything of this side; once, however often it is called (the run and Ctrl-C may both). */
    stop: () =>
      (stopping ??= (async () => {
        await docker(["swarm", "leave", "--force"], 60_000).catch(() => {});
        await docker(["network", "rm", "docker_gwbridge"], 30_000).catch(() => {});
        await stopProcess(readPid(pidFile) ?? daemon.pid, 30_000);
        // The bridge is the one thing of Swarm's left in the host's namespace if dockerd did not remove it; its
        // name is fixed, so it is left alone while another dockerd runs (it may be that one's).
        if (!otherDockerd()) await run("ip", ["link", "del", "docker_gwbridge"]).catch(() => {});
        await run("ip", ["link", "del", BRIDGE]).catch(() => {});
        await removeTree(dir);
      })()),
  };
  try {
    await waitForDaemon(socket, daemon, join(dir, "dockerd.log"));
    const [listenPort] = await freePorts(1);
    await docker([
      "swarm",
      "init",
      "--advertise-addr",
      "127.0.0.1",
      "--listen-addr",
      `127.0.0.1:${listenPort}`,
      "--data-path-port",
      String(await freeUdpPort()),
      "--default-addr-pool",
      "10.253.0.0/16",
    ]);
    await importBusybox(docker, tarball, dir);
  } catch (e) {
    await side.stop();
    throw e;
  }
  return side;
}

/** Waits until dockerd answers on its socket; fails with the end of its log if it exits or takes over 60 s. */
async function waitForDaemon(socket, daemon, logFile) {
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (daemon.exitCode !== null || !alive(daemon.pid))
      throw new Error(`bench: dockerd exited at start: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    const ok = await unixGet(socket, "/_ping", 2_000).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (performance.now() > deadline)
      throw new Error(
        `bench: dockerd did not answer on ${socket} within 60 s: ${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    await sleep(200);
  }
}

/** Whether a dockerd other than ours runs on this machine. */
function otherDockerd() {
  return readdirSync("/proc").some((name) => {
    try {
      return /^\d+$/.test(name) && readFileSync(`/proc/${name}/comm`, "utf8").trim() === "dockerd";
    } catch {
      return false;
    }
  });
}

/** The pid of a direct child of `parent` whose command name is `comm`, if any. */
function childPid(parent, comm) {
  try {
    for (const tid of readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/)) {
      if (tid && readFileSync(`/proc/${tid}/comm`, "utf8").trim() === comm) return Number(tid);
    }
  } catch {
    // gone
  }
  return undefined;
}
