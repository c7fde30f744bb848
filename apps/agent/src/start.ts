import os from "node:os";
import path from "node:path";
import { connectNatsBus, type BusConnection } from "@shoal/bus";
import { openRuntime, removeCgroupParent, type Executor } from "@shoal/runtime";
import type { JoinInfo } from "@shoal/api";
import { AgentRuntime, defaultAddress, type Agent } from "./agent.js";
import { NotJoinedError } from "./errors.js";
import { joinCluster } from "./join.js";
import { agentLog, type AgentLog } from "./log.js";
import { openBridgeNetwork, openVxlanOverlay, type LocalNetwork, type VxlanOverlay } from "@shoal/overlay";
import { AgentStateFiles } from "./state-files.js";

/** How to start the agent. */
export interface AgentOptions {
  /** Durable state: the agent's under `<dataDir>/agent`, the runtime's under `<dataDir>/runtime`. */
  dataDir: string;
  /** Volatile state: the runtime's under `<runDir>/runtime`, the local API socket `<runDir>/agent.sock`. */
  runDir: string;
  /** cgroup parent of the containers; default "shoal". */
  cgroupParent?: string;
  /** Default os.hostname(). */
  hostname?: string;
  labels?: Record<string, string>;
  /** The address other nodes reach this one at; default the first non-internal IPv4 address. */
  advertiseAddr?: string;
  /** First start only: the managers' API addresses and a join token. Later starts use the stored join. */
  join?: { managers: string[]; token: string };
  /** The container executor; default the real runtime (runc) on the dirs above. */
  executor?: Executor;
  /** "none" runs containers without a network (no root networking needed); default "bridge". */
  networking?: "bridge" | "none";
  /** Bridge device and subnet of the node's task network; defaults "shoal0" and 10.211.0.0/16. */
  bridge?: string;
  bridgeSubnet?: string;
  /** The node network; default the bridge network of `@shoal/overlay` (unless networking is "none"). */
  network?: LocalNetwork;
  /**
   * The overlay networks' side of the node; default the VXLAN overlay of `@shoal/overlay` on the advertise
   * address, when the node network is the default one (an injected node network gets none unless given).
   */
  overlay?: VxlanOverlay;
  /** The `shoal` CLI script a promoted node's manager runs from; default this process's script. */
  cliBin?: string;
  /** The port of the node's DNS server on the node network's gateway; default 53, 0 for none. */
  dnsPort?: number;
  /** The bus; default a NATS connection to the URLs the join gave. */
  bus?: BusConnection;
  /** Structured log lines; default JSON lines to stderr. */
  log?: AgentLog;
  /** Timeout of register and heartbeat requests; default 5 s. */
  requestTimeoutMs?: number;
  /** How long status updates wait to be batched; default 100 ms. */
  statusFlushMs?: number;
  /** How many containers are created and started at once; default 8 per CPU of the node (16 on two cores). */
  startConcurrency?: number;
}


/**
 * Starts the agent: joins (first start) or reads the stored join, opens the runtime and the network, connects
 * to the bus, serves the local API and registers with the managers. Resolves once the first registration
 * attempt ended (the agent keeps trying in the background when the managers cannot be reached); rejects
 * when the managers refuse the join token.
 */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? agentLog();
  const files = new AgentStateFiles(path.join(opts.dataDir, "agent"));
  let join = await files.readJoin();
  if (!join) {
    if (!opts.join) throw new NotJoinedError(files.dir);
    join = await joinCluster(opts.join.managers, opts.join.token);
    await files.writeJoin(join);
    log.info("joined the cluster", { cluster: join.clusterId, role: join.role });
  }
  const hostname = opts.hostname ?? os.hostname();
  const owned: (() => Promise<void>)[] = [];
  let onLeft: (() => void) | undefined;
  try {
    let executor = opts.executor;
    if (!executor) {
      const cgroupParent = opts.cgroupParent ?? "shoal";
      const rt = await openRuntime({ dataDir: path.join(opts.dataDir, "runtime"), runDir: path.join(opts.runDir, "runtime"), cgroupParent });
      owned.push(() => rt.close());
      executor = rt;
      // Leaving removes the containers, then their cgroup parent (a dir still holding processes is reported).
      onLeft = () => {
        const left = removeCgroupParent(cgroupParent);
        if (left.length > 0) log.warn("cgroups still in use after leaving", { cgroups: left });
      };
    }
    let network = opts.network;
    let overlay = opts.overlay;
    if (!network && opts.networking !== "none") {
      network = openBridgeNetwork({
        stateDir: path.join(opts.dataDir, "network"),
        ...(opts.bridge ? { bridge: opts.bridge, table: opts.bridge, netnsPrefix: `${opts.bridge}-` } : {}),
        ...(opts.bridgeSubnet ? { subnet: opts.bridgeSubnet } : {}),
      });
      overlay ??= openVxlanOverlay({
        underlayAddress: opts.advertiseAddr ?? defaultAddress(),
        ...(opts.bridge ? { netnsPrefix: `${opts.bridge}v-`, vipTable: `${opts.bridge.replaceAll(/[^A-Za-z0-9_]/g, "_")}_vip` } : {}),
      });
    }
    await network?.setup();
    let bus = opts.bus;
    if (!bus) {
      const b = await connectBus(join, `shoal-agent-${hostname}`, log);
      owned.push(() => b.close());
      bus = b;
    }
    const agent = new AgentRuntime({ ...opts, join, hostname, log, files, executor, network, overlay, bus, owned, ...(onLeft ? { onLeft } : {}), nodeId: await files.readNodeId() });
    const fatal = await agent.start();
    if (fatal) {
      await agent.stop();
      throw fatal;
    }
    return agent;
  } catch (e) {
    for (const close of owned.reverse()) await close().catch(() => undefined);
    throw e;
  }
}

/**
 * Connects to the managers' bus, retrying with backoff (250 ms .. 5 s) while none can be reached: after a
 * reboot the node's containers come back with the agent even when the managers are still down.
 */
async function connectBus(join: JoinInfo, name: string, log: AgentLog): Promise<BusConnection> {
  for (let backoff = 250; ; backoff = Math.min(backoff * 2, 5_000)) {
    try {
      return await connectNatsBus({ servers: join.natsUrls, token: join.natsToken, name });
    } catch (e) {
      log.warn("cannot reach the managers' bus; retrying", { error: e, retryInMs: backoff });
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
}
