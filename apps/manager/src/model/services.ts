import { DEFAULT_NETWORK, type Network, type Service, type ServiceSpec } from "@shoal/api";
import { withoutMeta, type StoreState } from "@shoal/store";
import { ManagerError } from "../errors.js";
import { allocatePorts } from "./ports.js";
import { stableJson } from "./stable-json.js";

/** A service object as written (without the store's meta fields). */
export type ServiceObject = Omit<Service, "version" | "createdAt" | "updatedAt">;

/** Refuses a spec that names a network the cluster does not have. */
export function checkNetworks(state: StoreState, spec: ServiceSpec): void {
  spec.taskTemplate.networks.forEach((n, i) => {
    if (!state.get("network", n.target) && !state.byName("network", n.target)) {
      throw new ManagerError(
        "SHOAL_ERR_INVALID_ARGUMENT",
        `taskTemplate.networks.${i}.target: no network ${JSON.stringify(n.target)}`,
        { hint: "create it with `shoal network create` first" },
      );
    }
  });
}

/** A new service: its networks must exist, and its published ports get their numbers. */
export function newService(state: StoreState, id: string, spec: ServiceSpec): ServiceObject {
  checkNetworks(state, spec);
  const ports = allocatePorts(spec, state.list("service"));
  return { id, spec, endpoint: { ports, virtualIps: [] } };
}

const others = (state: StoreState, s: Service): Service[] => state.list("service").filter((o) => o.id !== s.id);

/**
 * Service `s` with a new spec: its ports keep their numbers where they can, the spec it had is kept for a
 * rollback, and when its tasks must be replaced (a new template or new ports) a rolling update starts at `now`.
 */
export function updatedService(state: StoreState, s: Service, spec: ServiceSpec, now: number): ServiceObject {
  checkNetworks(state, spec);
  const ports = allocatePorts(spec, others(state, s), s);
  const object: ServiceObject = { ...withoutMeta(s), spec, previousSpec: s.spec, endpoint: { ...s.endpoint, ports } };
  if (
    stableJson(spec.taskTemplate) !== stableJson(s.spec.taskTemplate) ||
    stableJson(ports) !== stableJson(s.endpoint.ports)
  ) {
    object.updateStatus = { state: "updating", startedAt: new Date(now).toISOString(), message: "update in progress" };
  }
  return object;
}

/** Service `s` rolled back by hand to the spec before its last update, the rollback starting at `now`. */
export function rolledBackService(state: StoreState, s: Service, now: number): ServiceObject {
  if (!s.previousSpec) {
    throw new ManagerError(
      "SHOAL_ERR_NO_PREVIOUS_SPEC",
      `service ${s.spec.name} has no previous spec to roll back to`,
      { hint: "a rollback returns to the spec before the last `service update`" },
    );
  }
  const ports = allocatePorts(s.previousSpec, others(state, s), s);
  return {
    ...withoutMeta(s),
    spec: s.previousSpec,
    previousSpec: s.spec,
    endpoint: { ...s.endpoint, ports },
    updateStatus: { state: "rollback_started", startedAt: new Date(now).toISOString(), message: "rollback requested" },
  };
}

/** Service `s` scaled to `replicas`; only a replicated service scales. */
export function scaledService(s: Service, replicas: number): ServiceObject {
  if (s.spec.mode.mode !== "replicated") {
    throw new ManagerError(
      "SHOAL_ERR_INVALID_ARGUMENT",
      `service ${s.spec.name} is global: only replicated services can be scaled`,
      { hint: "a global service runs one task on every eligible node" },
    );
  }
  return { ...withoutMeta(s), spec: { ...s.spec, mode: { mode: "replicated", replicas } } };
}

/** Refuses removing a network services still use (the default network is used by every service that names none). */
export function checkNetworkUnused(state: StoreState, n: Network): void {
  const implicit = n.spec.name === DEFAULT_NETWORK;
  const users = state
    .list("service")
    .filter(
      (s) =>
        s.spec.taskTemplate.networks.some((x) => x.target === n.id || x.target === n.spec.name) ||
        (implicit && s.spec.taskTemplate.networks.length === 0),
    );
  if (users.length > 0) {
    throw new ManagerError(
      "SHOAL_ERR_IN_USE",
      `network ${n.spec.name} is used by service${users.length > 1 ? "s" : ""} ${users.map((s) => s.spec.name).join(", ")}`,
      { hint: "remove those services (or their attachment) first" },
    );
  }
}

/** Refuses a second ingress network: there is one routing mesh per cluster. */
export function checkSingleIngress(state: StoreState): void {
  const existing = state.list("network").find((n) => n.spec.ingress);
  if (existing) {
    throw new ManagerError(
      "SHOAL_ERR_CONFLICT",
      `the cluster already has an ingress network (${existing.spec.name}); there is one routing mesh per cluster`,
      {
        hint: `remove ${existing.spec.name} first (no service may publish ports then) or create this one without --ingress`,
      },
    );
  }
}
