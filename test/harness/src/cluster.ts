import { randomBytes } from "node:crypto";
import type { ShoalClient } from "@shoal/api";
import { trustedClient, type TrustedClient, type TrustedClientOptions } from "@shoal/api/node";
import {
  GenericContainer,
  getContainerRuntimeClient,
  type ContainerRuntimeClient,
  type StartedTestContainer,
} from "testcontainers";
import { CGROUP_PREFIX, removeHarnessResources } from "./cleanup.js";
import { HARNESS_LABEL, ensureDockerd } from "./docker.js";
import { HarnessError } from "./errors.js";
import { NODE_IMAGE, ensureNodeImage, hostSystemDirs } from "./node-image.js";
import { API_PORT, DATA_DIR, HarnessNode, REPO, RUN_DIR } from "./node.js";
import { healScript, planPartition } from "./partition.js";
import { adminBundleOf, type AdminCredentials } from "./trust.js";
import { until } from "./until.js";

/** What {@link startCluster} builds. */
export interface ClusterOptions {
  /** Managers; the first inits the cluster. Only 1 for now: the CLI has no way to join a second manager. */
  readonly managers?: number;
  readonly workers?: number;
  /** Part of every resource's name and the value of their label; random when omitted. */
  readonly name?: string;
}

/** A node container that also gets the options testcontainers cannot express (device cgroup rules, init, volume). */
class NodeContainer extends GenericContainer {
  constructor(private readonly volume: { name: string; labels: Record<string, string> }) {
    super(NODE_IMAGE);
  }
  protected override beforeContainerCreated(): Promise<void> {
    this.hostConfig.DeviceCgroupRules = ["a *:* rwm"];
    // No read-only or masked /proc paths (docker's `systempaths=unconfined`): the agent sets per-netns sysctls.
    Object.assign(this.hostConfig, { ReadonlyPaths: [], MaskedPaths: [] });
    this.hostConfig.Mounts = [
      {
        Type: "volume",
        Source: this.volume.name,
        Target: DATA_DIR,
        VolumeOptions: { NoCopy: true, Labels: this.volume.labels, DriverConfig: { Name: "local", Options: {} } },
      },
    ];
    return Promise.resolve();
  }
}

const live = new Set<string>();
let hooked = false;
/** Removes what live clusters made when the process ends without their destroy() (a crash, Ctrl-C). */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", () => {
    for (const name of live) removeHarnessResources(name);
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      for (const name of live) removeHarnessResources(name);
      process.exit(130);
    });
  }
}

/** A running multi-node cluster whose nodes are containers on one docker network. */
export class HarnessCluster {
  /** The managers' API over HTTPS, once the cluster has a trust bundle. */
  private api: TrustedClient | undefined;

  constructor(
    readonly name: string,
    readonly network: string,
    readonly nodes: readonly HarnessNode[],
  ) {}

  /** The nodes that run a manager, the first being the one that initialized the cluster. */
  get managers(): HarnessNode[] {
    return this.nodes.filter((n) => n.role === "manager");
  }
  get workers(): HarnessNode[] {
    return this.nodes.filter((n) => n.role === "worker");
  }

  /** The node named `hostname`. */
  node(hostname: string): HarnessNode {
    const n = this.nodes.find((x) => x.hostname === hostname);
    if (!n)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: no node ${hostname} in cluster ${this.name} (nodes: ${this.nodes.map((x) => x.hostname).join(", ")})`,
      );
    return n;
  }

  /** Loads an image tarball on every node (`shoal image load`); resolves with the image's name as loaded. */
  async loadImage(tarball: string): Promise<string> {
    const out = await Promise.all(this.nodes.map((n) => n.shoalOk(["image", "load", "-i", tarball])));
    const name = /Loaded image:\s*(\S+)/.exec(out[0] ?? "")?.[1] ?? /(\S+:\S+)/.exec(out[0] ?? "")?.[1];
    if (!name)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: no image name in the output of \`shoal image load\`:\n${out[0] ?? ""}`,
      );
    return name;
  }

  /**
   * A client of the managers' APIs over HTTPS, reached from this host over the cluster's network: of every
   * manager, or as `o` says (`{managers: [one], timeoutMs}` for a client of one manager only). Every client
   * shares the connections {@link destroy} closes.
   */
  client(o: Partial<TrustedClientOptions> = {}): ShoalClient {
    if (!this.api)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: cluster ${this.name} has no trust bundle yet: its API is reachable once \`cluster init\` ran`,
      );
    return this.api.clientOf({ managers: this.managers.map((m) => `${m.address}:${API_PORT}`), ...o });
  }

  /**
   * Calls the managers with the admin bundle of the cluster (its bundle, root's certificate and key, PEM);
   * {@link startCluster} does, after init.
   */
  useCredentials(credentials: AdminCredentials): void {
    const old = this.api;
    this.api = trustedClient({ managers: this.managers.map((m) => `${m.address}:${API_PORT}`), ...credentials });
    void old?.close();
  }

  /** Drops packets between the nodes of `a` and those of `b` (only from `a` to `b` when `oneWay`) until {@link heal}. */
  async partition(a: readonly HarnessNode[], b: readonly HarnessNode[], o: { oneWay?: boolean } = {}): Promise<void> {
    const plan = planPartition(a, b, o.oneWay ?? false);
    await Promise.all([...plan].map(([name, script]) => this.nft(name, script)));
  }

  /** Removes every partition. */
  async heal(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.nft(n.name, healScript())));
  }

  private async nft(name: string, script: string): Promise<void> {
    const node = this.nodes.find((n) => n.name === name);
    if (node) await node.execOk(["sh", "-c", `printf '%s' "$1" | nft -f -`, "nft", script]);
  }

  /** The last lines of every node's daemon logs, for failure messages. */
  async logTail(lines = 30): Promise<string> {
    return (await Promise.all(this.nodes.map((n) => n.logTail(lines)))).join("\n");
  }

  /**
   * Closes the API connections, then removes the nodes' containers, their volumes, the network and the nodes'
   * cgroups. Safe after any failure.
   */
  async destroy(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.close();
    removeHarnessResources(this.name);
    live.delete(this.name);
  }
}

/**
 * Starts a cluster: one container per node on a new docker network, `shoal cluster init` on the first manager
 * and `shoal cluster join` on every worker, then waits until `node ls` shows every node ready. On failure
 * everything it made is removed before it rejects.
 */
export async function startCluster(o: ClusterOptions = {}): Promise<HarnessCluster> {
  const managers = o.managers ?? 1;
  const workers = o.workers ?? 0;
  if (!Number.isInteger(managers) || managers < 1)
    throw new RangeError(`harness: managers must be 1 or more (got ${managers})`);
  const name = o.name ?? `h${randomBytes(3).toString("hex")}`;
  if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(name))
    throw new RangeError(`harness: cluster name ${name} must be 1-21 of a-z, 0-9 and -`);
  await ensureDockerd();
  await ensureNodeImage();
  hookExit();
  live.add(name);
  let cluster: HarnessCluster | undefined;
  try {
    const client = await getContainerRuntimeClient();
    const labels = { [HARNESS_LABEL]: name };
    const network = `shoal-harness-${name}`;
    await client.network.create({ Name: network, Driver: "bridge", CheckDuplicate: true, Labels: labels });
    const roles = [...Array<"manager">(managers).fill("manager"), ...Array<"worker">(workers).fill("worker")];
    // Every start settles before a failure is thrown, so that the cleanup below sees every container.
    const settled = await Promise.allSettled(roles.map((_, i) => startNodeContainer(name, i, network, labels)));
    const nodes = settled.map((s, i) => {
      if (s.status === "rejected") throw s.reason;
      return makeNode(client, s.value, name, i, roles[i] ?? "worker", network);
    });
    cluster = new HarnessCluster(name, network, nodes);
    await formCluster(cluster);
    return cluster;
  } catch (e) {
    if (cluster) await cluster.destroy();
    else {
      removeHarnessResources(name);
      live.delete(name);
    }
    throw e;
  }
}

function startNodeContainer(
  cluster: string,
  i: number,
  network: string,
  labels: Record<string, string>,
): Promise<StartedTestContainer> {
  const name = `shoal-harness-${cluster}-${i}`;
  const { binds } = hostSystemDirs();
  return (
    new NodeContainer({ name: `${name}-data`, labels })
      .withName(name)
      .withHostname(`${cluster}-n${i}`)
      .withLabels(labels)
      .withNetworkMode(network)
      .withAddedCapabilities("ALL")
      .withDroppedCapabilities("SYS_RESOURCE")
      .withSecurityOpt("seccomp=unconfined", "apparmor=unconfined")
      .withBindMounts([
        ...binds.map((b) => ({ source: b, target: b, mode: "ro" as const })),
        { source: REPO, target: REPO, mode: "ro" as const },
        { source: "/sys/fs/cgroup", target: "/sys/fs/cgroup", mode: "rw" as const },
      ])
      .withTmpFs({ "/run": "rw,exec,mode=755", "/tmp": "rw,exec,mode=1777" })
      .withEnvironment({ HOME: "/root" })
      // Pid 1 reaps the daemons the CLI detaches, so a killed one does not linger as a zombie (docker's own init
      // cannot be mounted over the host's read-only /usr/sbin, which the node's /sbin points into).
      .withCommand(["perl", "-e", "$SIG{TERM} = sub { exit 0 }; while (1) { sleep 1 if wait() < 0 }"])
      .start()
  );
}

function makeNode(
  client: ContainerRuntimeClient,
  c: StartedTestContainer,
  cluster: string,
  i: number,
  role: "manager" | "worker",
  network: string,
): HarnessNode {
  const address = c.getIpAddress(network);
  const cgroupParent = `${CGROUP_PREFIX}${cluster}-${i}`;
  const local = ["--data-dir", DATA_DIR, "--run-dir", RUN_DIR];
  const agent = [...local, "--advertise-addr", address, "--cgroup-parent", cgroupParent];
  const manager = [...local, "--listen-addr", "0.0.0.0", "--advertise-addr", address];
  const docker = client.container.getById(c.getId());
  return new HarnessNode(
    c.getName().replace(/^\//, ""),
    `${cluster}-n${i}`,
    address,
    role,
    cgroupParent,
    c,
    { pause: () => docker.pause(), unpause: () => docker.unpause() },
    { manager, agent },
  );
}

async function formCluster(cluster: HarnessCluster): Promise<void> {
  const [first] = cluster.managers;
  if (!first) throw new RangeError("harness: a cluster needs a manager");
  const initOut = await first.shoalOk([
    "cluster",
    "init",
    "--data-dir",
    DATA_DIR,
    "--run-dir",
    RUN_DIR,
    "--listen-addr",
    "0.0.0.0",
    "--advertise-addr",
    first.address,
    "--cgroup-parent",
    first.cgroupParent,
  ]);
  const [token, managerToken] = [...initOut.matchAll(/--token (\S+)/g)].map((m) => m[1]);
  if (!token || !managerToken)
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: no join tokens in the output of \`shoal cluster init\`:\n${initOut}`,
    );
  // The managers serve HTTPS with the cluster's certificates; `cluster init` wrote the bundle that checks them.
  cluster.useCredentials(await adminBundleOf(first));
  // Managers join one at a time (each is a learner until it has caught up, then a voter).
  for (const m of cluster.managers.slice(1)) {
    await m.shoalOk([
      "cluster",
      "join",
      "--data-dir",
      DATA_DIR,
      "--run-dir",
      RUN_DIR,
      "--token",
      managerToken,
      "--listen-addr",
      "0.0.0.0",
      "--advertise-addr",
      m.address,
      "--cgroup-parent",
      m.cgroupParent,
      `${first.address}:${API_PORT}`,
    ]);
  }
  await Promise.all(
    cluster.workers.map((w) =>
      w.shoalOk([
        "cluster",
        "join",
        "--data-dir",
        DATA_DIR,
        "--run-dir",
        RUN_DIR,
        "--token",
        token,
        "--advertise-addr",
        w.address,
        "--cgroup-parent",
        w.cgroupParent,
        `${first.address}:${API_PORT}`,
      ]),
    ),
  );
  const client = cluster.client();
  await until(
    async () => {
      const nodes = await client.call("nodeList", {});
      return nodes.length === cluster.nodes.length && nodes.every((n) => n.status.state === "ready");
    },
    60_000,
    `every node of ${cluster.name} to be ready`,
  );
}
