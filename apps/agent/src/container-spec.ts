import type { Task } from "@shoal/api";
import type { ContainerSpec, MountSpec, NetworkMode } from "@shoal/runtime";

/** Labels the agent puts on every task container; `shoal.task.id` marks a container as Shoal's. */
export const LABEL_TASK = "shoal.task.id";
export const LABEL_SERVICE = "shoal.service.id";
export const LABEL_SLOT = "shoal.slot";
export const LABEL_NODE = "shoal.node.id";

/**
 * The container spec of a task: its template mapped onto the runtime's spec (command -> entrypoint, args ->
 * cmd, limits and reservations -> resources, security -> seccomp and noNewPrivileges), id = task id, and Shoal's
 * labels. Pure.
 */
export function containerSpecFor(
  task: Task,
  nodeId: string,
  network: NetworkMode,
  dnsServers?: string[],
): ContainerSpec {
  const c = task.spec.container;
  const limits = task.spec.resources.limits;
  const reservations = task.spec.resources.reservations;
  const resources: NonNullable<ContainerSpec["resources"]> = {
    ...(limits.memoryBytes === undefined ? {} : { memoryBytes: limits.memoryBytes }),
    ...(limits.cpus === undefined ? {} : { cpus: limits.cpus }),
    ...(limits.pids === undefined ? {} : { pidsLimit: limits.pids }),
    ...(reservations.memoryBytes === undefined ? {} : { memoryReservationBytes: reservations.memoryBytes }),
  };
  const mounts = c.mounts.map((m): MountSpec => {
    switch (m.type) {
      case "tmpfs":
        return { type: "tmpfs", target: m.target, ...(m.sizeBytes === undefined ? {} : { sizeBytes: m.sizeBytes }) };
      case "volume":
      case "bind":
        return { type: m.type, source: m.source, target: m.target, readOnly: m.readOnly };
    }
  });
  return {
    id: task.id,
    image: c.image,
    ...(c.command === undefined ? {} : { entrypoint: c.command }),
    ...(c.args === undefined ? {} : { cmd: c.args }),
    env: c.env,
    ...(c.user === undefined ? {} : { user: c.user }),
    ...(c.workdir === undefined ? {} : { workdir: c.workdir }),
    // Like Docker, a container without a hostname of its own is named after its id (here the task id).
    hostname: c.hostname ?? task.id.slice(0, 12),
    network,
    ...(dnsServers === undefined ? {} : { dnsServers }),
    mounts,
    readOnlyRootfs: c.readOnly,
    init: c.init,
    seccomp: c.security.seccomp,
    noNewPrivileges: c.security.noNewPrivileges,
    ...(c.stopSignal === undefined ? {} : { stopSignal: c.stopSignal }),
    stopGracePeriodMs: c.stopGracePeriodMs,
    ...(c.healthcheck === undefined ? {} : { healthcheck: { ...c.healthcheck, test: [...c.healthcheck.test] } }),
    ...(Object.keys(resources).length === 0 ? {} : { resources }),
    labels: {
      ...c.labels,
      [LABEL_TASK]: task.id,
      [LABEL_SERVICE]: task.serviceId,
      ...(task.slot === undefined ? {} : { [LABEL_SLOT]: String(task.slot) }),
      [LABEL_NODE]: nodeId,
    },
  };
}
