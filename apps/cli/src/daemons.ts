import { CliError } from "./errors.js";

/** What `shoal manager` passes to the manager daemon. */
export interface ManagerOptions {
  dataDir: string;
  listenAddr: string;
  advertiseAddr: string;
  apiPort: number;
  raftPort: number;
  natsPort: number;
  natsClusterPort: number;
  /** Start a new cluster (first manager) instead of resuming or joining. */
  init: boolean;
  heartbeatPeriodMs: number;
}

/** What `shoal agent` passes to the agent daemon. */
export interface AgentOptions {
  dataDir: string;
  runDir: string;
  cgroupParent: string;
  hostname: string;
  labels: Record<string, string>;
  advertiseAddr?: string;
  bridge?: string;
  bridgeSubnet?: string;
  /** Join a cluster (first start); absent: resume with the identity in the data dir. */
  join?: { managers: string[]; token: string };
}

/** A daemon running in this process. */
export interface RunningDaemon {
  apiAddr?: string;
  readonly stop: () => Promise<void>;
}

type ManagerModule = { startManager?: (o: ManagerOptions) => Promise<RunningDaemon & { apiAddr: string }> };
type AgentModule = { startAgent?: (o: AgentOptions) => Promise<RunningDaemon> };

// NB: the daemons' entry points are typed locally and imported dynamically until the packages export them;
// the integrator replaces these casts with the packages' own types.

/** Starts the manager daemon in this process. */
export async function startManager(o: ManagerOptions): Promise<RunningDaemon & { apiAddr: string }> {
  const m = (await import("@shoal/manager")) as unknown as ManagerModule;
  if (typeof m.startManager !== "function") throw new CliError("SHOAL_ERR_UNAVAILABLE", "this build of @shoal/manager has no startManager", "build the manager package (npx tsc -b)");
  return m.startManager(o);
}

/** Starts the agent daemon in this process. */
export async function startAgent(o: AgentOptions): Promise<RunningDaemon> {
  const m = (await import("@shoal/agent")) as unknown as AgentModule;
  if (typeof m.startAgent !== "function") throw new CliError("SHOAL_ERR_UNAVAILABLE", "this build of @shoal/agent has no startAgent", "build the agent package (npx tsc -b)");
  return m.startAgent(o);
}
