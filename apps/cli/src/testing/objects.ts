import {
  InfoSchema,
  NodeSchema,
  ServiceSchema,
  TaskSchema,
  type Info,
  type Node,
  type Service,
  type ServiceWithStatus,
  type Task,
} from "@shoal/api";

/** Test objects: valid API objects with overridable fields. */
export const T0 = Date.parse("2026-01-01T00:00:00.000Z");
export const iso = (ms: number): string => new Date(ms).toISOString();

export function makeService(
  o: { id?: string; name?: string; replicas?: number; global?: boolean; image?: string; version?: number } = {},
): Service {
  return ServiceSchema.parse({
    id: o.id ?? "svc1",
    version: o.version ?? 10,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    spec: {
      name: o.name ?? "web",
      mode: o.global ? { mode: "global" } : { mode: "replicated", replicas: o.replicas ?? 3 },
      taskTemplate: { container: { image: o.image ?? "busybox:1.36" } },
    },
  });
}

export function withStatus(s: Service, running: number, desired: number): ServiceWithStatus {
  return { ...s, serviceStatus: { runningTasks: running, desiredTasks: desired, completedTasks: 0 } };
}

export function makeTask(o: {
  id: string;
  slot?: number;
  nodeId?: string;
  state: Task["status"]["state"];
  desired?: Task["desiredState"];
  createdMs?: number;
  stateMs?: number;
  message?: string;
  err?: string;
  serviceId?: string;
  unschedulable?: { nodeId: string; hostname: string; reason: string }[];
}): Task {
  return TaskSchema.parse({
    id: o.id,
    version: 1,
    createdAt: iso(o.createdMs ?? T0),
    updatedAt: iso(o.stateMs ?? T0),
    serviceId: o.serviceId ?? "svc1",
    ...(o.slot !== undefined ? { slot: o.slot } : {}),
    ...(o.nodeId !== undefined ? { nodeId: o.nodeId } : {}),
    spec: { container: { image: "busybox:1.36" } },
    serviceVersion: 10,
    desiredState: o.desired ?? "running",
    status: {
      state: o.state,
      timestamp: iso(o.stateMs ?? T0),
      message: o.message ?? "",
      ...(o.err ? { err: o.err } : {}),
    },
    ...(o.unschedulable ? { unschedulable: o.unschedulable } : {}),
  });
}

export function makeNode(o: {
  id: string;
  hostname: string;
  state?: Node["status"]["state"];
  availability?: Node["spec"]["availability"];
  leader?: boolean;
  manager?: boolean;
  version?: number;
  labels?: Record<string, string>;
}): Node {
  return NodeSchema.parse({
    id: o.id,
    version: o.version ?? 5,
    createdAt: iso(T0),
    updatedAt: iso(T0),
    spec: {
      role: o.manager || o.leader ? "manager" : "worker",
      availability: o.availability ?? "active",
      labels: o.labels ?? {},
    },
    description: {
      hostname: o.hostname,
      platform: { os: "linux", architecture: "x86_64" },
      resources: { cpus: 2, memoryBytes: 2 ** 33 },
      engine: { version: "0.1.0" },
    },
    status: { state: o.state ?? "ready", addr: "10.0.0.1" },
    ...(o.manager || o.leader
      ? { managerStatus: { leader: o.leader === true, reachability: "reachable", addr: "10.0.0.1:7070" } }
      : {}),
  });
}

/** What `GET /v1/info` answers on the leader of a one-manager cluster `c1`. */
export function makeInfo(o: { nodeId?: string; managerAddr?: string } = {}): Info {
  return InfoSchema.parse({
    version: "0.1.0",
    clusterId: "c1",
    nodeId: o.nodeId ?? "nodea",
    managerAddr: o.managerAddr ?? "127.0.0.1:7070",
    raft: { leader: true, term: 1, commitIndex: 1, appliedIndex: 1 },
    counts: { nodes: 1, services: 0, tasks: 0 },
  });
}
