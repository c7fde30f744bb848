import type { Node, Service, Task } from "@shoal/api";
import { unmetConstraint } from "../model/constraints.js";

/** What the scheduler knows of a node while it plans: the node and what is already placed on it. */
export interface NodeInfo {
  node: Node;
  /** Reservations of the node's live tasks. */
  reservedCpus: number;
  reservedMemoryBytes: number;
  /** `8080/tcp` for every host-mode port a live task on the node publishes. */
  hostPorts: Set<string>;
  /** Live tasks on the node, per service id. */
  tasksByService: Map<string, number>;
  /** All live tasks on the node. */
  taskCount: number;
}

/** A task to place and the service it belongs to (for endpoint ports). */
export interface Placement {
  task: Task;
  service: Service;
}

/**
 * One rule a node must pass to take a task. `check` returns undefined when the node passes, or a reason a
 * person can act on ("drain", "needs 512 MiB memory, 128 MiB free"). Filters are pure.
 */
export interface Filter {
  readonly name: string;
  check(p: Placement, n: NodeInfo): string | undefined;
}

const MiB = 1024 * 1024;

/** The node must be up and take work. */
export const readyFilter: Filter = {
  name: "ready",
  check: (_p, n) => {
    if (n.node.status.state !== "ready") return `node is ${n.node.status.state}`;
    if (n.node.spec.availability !== "active") return `node availability is ${n.node.spec.availability}`;
    return undefined;
  },
};

/** The node must have the reserved cpu and memory free. */
export const resourcesFilter: Filter = {
  name: "resources",
  check: ({ task }, n) => {
    const want = task.spec.resources.reservations;
    const { cpus, memoryBytes } = n.node.description.resources;
    if (want.cpus !== undefined && want.cpus > 0 && cpus - n.reservedCpus < want.cpus - 1e-9) {
      return `needs ${want.cpus} CPUs reserved, ${round(cpus - n.reservedCpus)} of ${cpus} free`;
    }
    if (
      want.memoryBytes !== undefined &&
      want.memoryBytes > 0 &&
      memoryBytes - n.reservedMemoryBytes < want.memoryBytes
    ) {
      return `needs ${round(want.memoryBytes / MiB)} MiB memory reserved, ${round((memoryBytes - n.reservedMemoryBytes) / MiB)} MiB free`;
    }
    return undefined;
  },
};

/** Every placement constraint must hold for the node. */
export const constraintsFilter: Filter = {
  name: "constraints",
  check: ({ task }, n) => unmetConstraint(task.spec.placement.constraints, n.node),
};

/** Host-mode published ports must be free on the node. */
export const hostPortsFilter: Filter = {
  name: "host-ports",
  check: ({ service }, n) => {
    for (const p of service.spec.endpoint.ports) {
      if (p.publishMode !== "host" || p.publishedPort === undefined) continue;
      const key = `${p.publishedPort}/${p.protocol}`;
      if (n.hostPorts.has(key)) return `host port ${key} is in use`;
    }
    return undefined;
  },
};

/** At most `maxReplicasPerNode` tasks of the service per node. */
export const maxReplicasFilter: Filter = {
  name: "max-replicas",
  check: ({ task }, n) => {
    const max = task.spec.placement.maxReplicasPerNode;
    if (max === 0) return undefined;
    const have = n.tasksByService.get(task.serviceId) ?? 0;
    return have >= max ? `already runs ${have} of at most ${max} tasks of this service` : undefined;
  },
};

/** The filter chain, cheapest and most common refusals first. */
export const FILTERS: readonly Filter[] = [
  readyFilter,
  constraintsFilter,
  resourcesFilter,
  hostPortsFilter,
  maxReplicasFilter,
];

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
