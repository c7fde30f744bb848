import { ServiceSpecSchema, TaskSchema, type ServiceSpecInput, type Task, type TaskState } from "@shoal/api";

const T = "2026-11-23T10:00:00.000Z";

/** A task as the managers would assign it (for tests): busybox `sleep 3600` unless `template` says otherwise. */
export function makeTask(
  id: string,
  o: {
    desired?: TaskState;
    state?: TaskState;
    template?: Partial<ServiceSpecInput["taskTemplate"]>;
    ports?: { targetPort: number; publishedPort?: number; protocol?: "tcp" | "udp" }[];
    serviceVersion?: number;
    serviceId?: string;
    slot?: number;
  } = {},
): Task {
  const template = {
    container: { image: "busybox", args: ["sleep", "3600"], stopGracePeriodMs: 1_000 },
    ...o.template,
  };
  return TaskSchema.parse({
    id,
    version: 1,
    createdAt: T,
    updatedAt: T,
    serviceId: o.serviceId ?? "svc1",
    slot: o.slot ?? 1,
    nodeId: "node1",
    spec: ServiceSpecSchema.parse({ name: "web", taskTemplate: template }).taskTemplate,
    serviceVersion: o.serviceVersion ?? 1,
    desiredState: o.desired ?? "running",
    status: { state: o.state ?? "assigned", timestamp: T, message: "" },
    endpoint: { ports: o.ports ?? [] },
    networks: [],
  });
}
