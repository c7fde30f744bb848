import { readFile } from "node:fs/promises";
import { writeFileDurably } from "@shoal/common";
import type { ResolvedHealthcheck } from "../health/health-config.js";
import type { ContainerSpec, ContainerStatus, ExitInfo } from "../types.js";

/**
 * What the runtime persists about a container (`container.json` in its bundle dir). Written atomically
 * (temp file, fsync, rename) on every change of state, so a restarted runtime knows each container's past.
 */
export interface ContainerRecord {
  spec: ContainerSpec;
  imageId: string;
  /** The merged process: what runs. */
  args: string[];
  /** runc's `linux.cgroupsPath`. */
  cgroupsPath: string;
  /** Resolved stop signal number and grace period. */
  stopSignal: number;
  stopGracePeriodMs: number;
  /** Effective health check (after merging with the image), if any. */
  healthcheck?: ResolvedHealthcheck;
  /** Process identity for exec: env, uid:gid, extra groups, cwd. */
  env: string[];
  uid: number;
  gid: number;
  additionalGids: number[];
  cwd: string;
  status: ContainerStatus;
  createdAt: string;
  startedAt?: string;
  initPid?: number;
  shimPid?: number;
  exit?: ExitInfo;
  /** Volume names it mounts. */
  volumes: string[];
}

/** Writes `value` as JSON to `path` atomically and durably. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileDurably(path, JSON.stringify(value, null, 1));
}

/** Reads a container record; undefined when there is none (a half-created container). */
export async function readRecord(path: string): Promise<ContainerRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as ContainerRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
