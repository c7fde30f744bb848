import os from "node:os";
import { SHOAL_VERSION } from "@shoal/api";
import type { RegisterRequest } from "@shoal/bus";
import { exitStatus, type LocalContainer } from "./reconcile.js";

/** What the node says of itself besides its task containers. */
export interface NodeDescriptionOptions {
  hostname: string;
  /** The address other nodes reach this one at; default {@link defaultAddress}. */
  advertiseAddr?: string | undefined;
  labels?: Record<string, string> | undefined;
}

/**
 * The node as it registers with the managers: address, platform, resources, labels and the tasks whose
 * containers exist now (with the state each container shows). Reads the host's resources.
 */
export function describeNode(
  o: NodeDescriptionOptions,
  containers: ReadonlyMap<string, LocalContainer>,
): RegisterRequest {
  const running: RegisterRequest["running"] = [];
  for (const [taskId, c] of containers) {
    const state = c.status === "running" ? "running" : c.status === "created" ? "ready" : exitStatus(taskId, c).state;
    running.push({ taskId, state, containerId: taskId });
  }
  return {
    hostname: o.hostname,
    addr: o.advertiseAddr ?? defaultAddress(),
    platform: { os: os.platform(), architecture: os.machine() },
    resources: { cpus: os.availableParallelism(), memoryBytes: os.totalmem() },
    labels: o.labels ?? {},
    engineVersion: SHOAL_VERSION,
    running,
  };
}

/** The first non-internal IPv4 address of the host, else 127.0.0.1. */
export function defaultAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
