import type { ContainerInfo, HealthState } from "../types.js";
import type { ContainerRecord } from "./record.js";

/**
 * What `inspect` and `list` show of a container: its record as a `ContainerInfo`, with `health` (the state of
 * its health monitor, if it has one). A deep copy: the caller may keep and change it.
 */
export function containerInfo(rec: ContainerRecord, health: HealthState | undefined): ContainerInfo {
  return {
    id: rec.spec.id,
    image: rec.spec.image,
    imageId: rec.imageId,
    status: rec.status,
    ...(rec.status === "running" && rec.initPid ? { pid: rec.initPid } : {}),
    createdAt: rec.createdAt,
    ...(rec.startedAt ? { startedAt: rec.startedAt } : {}),
    ...(rec.exit ? { finishedAt: rec.exit.finishedAt, exitCode: rec.exit.exitCode } : {}),
    oomKilled: rec.exit?.oomKilled ?? false,
    ...(rec.exit?.error ? { error: rec.exit.error } : {}),
    ...(health ? { health: structuredClone(health) } : {}),
    labels: { ...(rec.spec.labels ?? {}) },
    args: [...rec.args],
    spec: structuredClone(rec.spec),
  };
}
