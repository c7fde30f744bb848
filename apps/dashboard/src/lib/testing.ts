import type { ApiStoreEvent, Network, Node, Service, Task } from "@shoal/api";

// Objects as the API returns them, with only what a test changes given.

const T0 = "2026-01-01T00:00:00.000Z";

export function node(
  id: string,
  over: {
    hostname?: string;
    role?: "manager" | "worker";
    state?: Node["status"]["state"];
    availability?: Node["spec"]["availability"];
    version?: number;
  } = {},
): Node {
  return {
    id,
    version: over.version ?? 1,
    createdAt: T0,
    updatedAt: T0,
    spec: { labels: {}, role: over.role ?? "worker", availability: over.availability ?? "active" },
    description: {
      hostname: over.hostname ?? id,
      platform: { os: "linux", architecture: "x86_64" },
      resources: { cpus: 2, memoryBytes: 2 ** 30 },
      engine: { version: "1", labels: {} },
    },
    status: { state: over.state ?? "ready", message: "", addr: "10.0.0.1" },
  };
}

export function service(
  id: string,
  over: {
    name?: string;
    replicas?: number;
    image?: string;
    version?: number;
    updateState?: NonNullable<Service["updateStatus"]>["state"];
  } = {},
): Service {
  const update = {
    parallelism: 1,
    delayMs: 0,
    failureAction: "pause" as const,
    monitorMs: 5000,
    maxFailureRatio: 0,
    order: "stop-first" as const,
  };
  return {
    id,
    version: over.version ?? 1,
    createdAt: T0,
    updatedAt: T0,
    spec: {
      name: over.name ?? id,
      labels: {},
      mode: { mode: "replicated", replicas: over.replicas ?? 1 },
      taskTemplate: { container: { image: over.image ?? "busybox:latest" } } as Service["spec"]["taskTemplate"],
      endpoint: { mode: "vip", ports: [] },
      updateConfig: update,
      rollbackConfig: update,
    },
    endpoint: { ports: [], virtualIps: [] },
    ...(over.updateState ? { updateStatus: { state: over.updateState, message: "" } } : {}),
  };
}

export function task(
  id: string,
  serviceId: string,
  over: {
    slot?: number;
    nodeId?: string;
    state?: Task["status"]["state"];
    desired?: Task["desiredState"];
    version?: number;
    message?: string;
    err?: string;
    exitCode?: number;
  } = {},
): Task {
  return {
    id,
    version: over.version ?? 1,
    createdAt: T0,
    updatedAt: T0,
    serviceId,
    ...(over.slot !== undefined ? { slot: over.slot } : {}),
    ...(over.nodeId ? { nodeId: over.nodeId } : {}),
    spec: { container: { image: "busybox:latest" } } as Task["spec"],
    serviceVersion: 1,
    desiredState: over.desired ?? "running",
    status: {
      state: over.state ?? "running",
      timestamp: T0,
      message: over.message ?? "",
      ...(over.err ? { err: over.err } : {}),
      ...(over.exitCode !== undefined ? { exitCode: over.exitCode } : {}),
    },
    endpoint: { ports: [] },
    networks: [],
  };
}

export function network(id: string, name: string): Network {
  return {
    id,
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    spec: { name, driver: "overlay", labels: {}, subnets: [], attachable: false, ingress: false },
    subnets: [],
  };
}

/** A store event of `object`, at its version. */
export function event(
  op: ApiStoreEvent["op"],
  kind: ApiStoreEvent["kind"],
  object: { id: string; version: number },
  index = object.version,
): ApiStoreEvent {
  return { index, op, kind, id: object.id, object };
}
