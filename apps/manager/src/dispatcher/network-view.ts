import { isTerminal, type Network, type Task } from "@shoal/api";
import type { NetworkView } from "@shoal/bus";
import type { StoreState } from "@shoal/store";
import { ingressOf, networksOf } from "../model/networks.js";

/** "10.10.0.5/24" -> "10.10.0.5". */
const plain = (cidr: string): string => cidr.split("/")[0] ?? cidr;

/** A task whose addresses are in use on its node: placed and not ended. */
const placed = (t: Task): t is Task & { nodeId: string } =>
  t.nodeId !== undefined && !isTerminal(t.status.state) && !isTerminal(t.desiredState);

/** Whether some service publishes a port through the routing mesh (then every node joins ingress). */
function meshInUse(state: StoreState): boolean {
  return state.list("service").some((s) => s.endpoint.ports.some((p) => p.publishMode === "ingress"));
}

/**
 * The network view of one node. Pure. Its networks are those its placed tasks have addresses on, plus ingress
 * while any service publishes through the routing mesh; then every endpoint on those networks (placed tasks on
 * any node, and every node's mesh endpoint on ingress) and every service with a VIP or a task there. Sorted, so
 * the same state gives the same view and the dispatcher sends only changes.
 */
export function networkViewFor(state: StoreState, nodeId: string): NetworkView {
  const tasks = state.list("task").filter(placed);
  const ids = new Set(
    tasks
      .filter((t) => t.nodeId === nodeId)
      .flatMap((t) => t.networks.filter((a) => a.addresses.length > 0).map((a) => a.networkId)),
  );
  const ingress = ingressOf(state);
  if (ingress && meshInUse(state)) ids.add(ingress.id);
  const networks = [...ids]
    .map((id) => state.get("network", id))
    .filter((n): n is Network & { vni: number } => n?.vni !== undefined && n.subnets.length > 0)
    .sort((a, b) => a.id.localeCompare(b.id));
  const joined = new Set(networks.map((n) => n.id));
  const nodes = new Map(state.list("node").map((n) => [n.id, n]));

  const endpoints: NetworkView["endpoints"] = [];
  for (const t of tasks) {
    const nodeAddr = nodes.get(t.nodeId)?.status.addr;
    if (nodeAddr === undefined) continue;
    for (const a of t.networks) {
      if (!joined.has(a.networkId)) continue;
      for (const address of a.addresses) {
        endpoints.push({
          networkId: a.networkId,
          address: plain(address),
          nodeId: t.nodeId,
          nodeAddr,
          taskId: t.id,
          serviceId: t.serviceId,
          serving: t.status.state === "running" && t.desiredState === "running",
        });
      }
    }
  }
  for (const n of nodes.values()) {
    for (const a of n.attachments ?? []) {
      if (joined.has(a.networkId) && n.status.state !== "down")
        endpoints.push({
          networkId: a.networkId,
          address: plain(a.address),
          nodeId: n.id,
          nodeAddr: n.status.addr,
          serving: true,
        });
    }
  }
  endpoints.sort((a, b) => a.networkId.localeCompare(b.networkId) || a.address.localeCompare(b.address));

  const withTasks = new Set(endpoints.flatMap((e) => (e.serviceId === undefined ? [] : [e.serviceId])));
  const services: NetworkView["services"] = [];
  for (const s of state.list("service").sort((a, b) => a.id.localeCompare(b.id))) {
    const vips = s.endpoint.virtualIps
      .filter((v) => joined.has(v.networkId))
      .map((v) => ({ networkId: v.networkId, address: plain(v.addr) }));
    const mesh = s.endpoint.ports.some((p) => p.publishMode === "ingress");
    if (vips.length === 0 && !withTasks.has(s.id) && !mesh) continue;
    const aliases = networksOf(state, s.spec.taskTemplate).flatMap((n) => {
      const names =
        s.spec.taskTemplate.networks.find((x) => x.target === n.id || x.target === n.spec.name)?.aliases ?? [];
      return joined.has(n.id) && names.length > 0 ? [{ networkId: n.id, names: [...names] }] : [];
    });
    services.push({
      id: s.id,
      name: s.spec.name,
      endpointMode: s.spec.endpoint.mode,
      vips,
      aliases,
      ports: s.endpoint.ports,
    });
  }

  return {
    networks: networks.map((n) => ({
      id: n.id,
      name: n.spec.name,
      vni: n.vni,
      subnet: n.subnets[0]?.subnet ?? "",
      gateway: n.subnets[0]?.gateway ?? "",
      ingress: n.id === ingress?.id,
    })),
    nodeAttachments: (nodes.get(nodeId)?.attachments ?? [])
      .filter((a) => joined.has(a.networkId))
      .map((a) => ({ networkId: a.networkId, address: plain(a.address) })),
    endpoints,
    services,
  };
}
