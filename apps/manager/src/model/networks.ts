import { DEFAULT_NETWORK, INGRESS_NETWORK, type Network, type Task } from "@shoal/api";
import type { StoreState } from "@shoal/store";

/**
 * The networks a task or service template joins, resolved to stored networks (unknown names are skipped): the
 * ones it names, or the cluster's default network when it names none.
 */
export function networksOf(state: StoreState, template: Task["spec"]): Network[] {
  if (template.networks.length === 0) {
    const fallback = state.byName("network", DEFAULT_NETWORK);
    return fallback ? [fallback] : [];
  }
  const out: Network[] = [];
  for (const n of template.networks) {
    const net = state.get("network", n.target) ?? state.byName("network", n.target);
    if (net && !out.some((o) => o.id === net.id)) out.push(net);
  }
  return out;
}

/** The ingress network, if the cluster has one. */
export function ingressOf(state: StoreState): Network | undefined {
  return state.list("network").find((n) => n.spec.ingress) ?? state.byName("network", INGRESS_NETWORK);
}

/** The networks a task joins: its template's, and the ingress network when it publishes a port through the routing mesh. */
export function networksOfTask(state: StoreState, task: Pick<Task, "spec" | "endpoint">): Network[] {
  const nets = networksOf(state, task.spec);
  const ingress = task.endpoint.ports.some((p) => p.publishMode === "ingress") ? ingressOf(state) : undefined;
  return ingress && !nets.some((n) => n.id === ingress.id) ? [...nets, ingress] : nets;
}

/** Whether the task has an address on every network it joins (the scheduler places only such tasks). */
export function isAllocated(state: StoreState, task: Task): boolean {
  return networksOfTask(state, task).every((n) =>
    task.networks.some((a) => a.networkId === n.id && a.addresses.length > 0),
  );
}
