import type { Service, Task } from "@shoal/api";

/** A task as the orchestrator creates it; the store stamps version and times. */
export type NewTask = Omit<Task, "version" | "createdAt" | "updatedAt">;

/** The ports a service's tasks publish: as the API allocated them, else as the spec asks. */
export function servicePorts(service: Service): Task["endpoint"]["ports"] {
  return service.endpoint.ports.length > 0 ? service.endpoint.ports : service.spec.endpoint.ports;
}

/**
 * A new task of a service: in a slot (replicated; the scheduler places it) or for a node (global; the
 * scheduler checks that node's resources and ports before it is assigned). It runs the service's current
 * template and ports.
 */
export function newTask(
  service: Service,
  id: string,
  now: number,
  place: { slot: number } | { nodeId: string },
): NewTask {
  const timestamp = new Date(now).toISOString();
  return {
    id,
    serviceId: service.id,
    ...place,
    spec: service.spec.taskTemplate,
    serviceVersion: service.version,
    desiredState: "running",
    status: {
      state: "new",
      timestamp,
      message: "slot" in place ? "created by the orchestrator" : "created by the global orchestrator",
    },
    endpoint: { ports: servicePorts(service) },
    networks: [],
  };
}
