import type { AgentOptions } from "@shoal/agent";
import type { ManagerOptions } from "@shoal/manager";

export type { AgentOptions, ManagerOptions };

/** A daemon running in this process. */
export interface RunningDaemon {
  apiAddr?: string;
  readonly stop: () => Promise<void>;
}

// The daemons are loaded only when `shoal manager` or `shoal agent` runs, so other commands start without
// loading the API server, Raft or the container runtime.

/** Starts the manager daemon in this process. */
export async function startManager(o: ManagerOptions): Promise<RunningDaemon & { apiAddr: string }> {
  const { startManager: start } = await import("@shoal/manager");
  return start(o);
}

/** Starts the agent daemon in this process. */
export async function startAgent(o: AgentOptions): Promise<RunningDaemon> {
  const { startAgent: start } = await import("@shoal/agent");
  return start(o);
}
