import type { BusConnection } from "@shoal/bus";
import type { LocalNetwork, VxlanOverlay } from "@shoal/overlay";
import type { Executor } from "@shoal/runtime";
import type { AgentLog } from "./log.js";

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
