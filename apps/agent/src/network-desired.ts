import type { Task } from "@shoal/api";
import type { NetworkView } from "@shoal/bus";
import {
  inSubnet,
  macOf,
  parseSubnet,
  type DnsAnswer,
  type OverlayDesiredState,
  type PublishedPortRule,
} from "@shoal/overlay";

/** The node-network attachment id of the node's routing-mesh endpoint (task ids never hold a dash). */
export const MESH_SANDBOX = "mesh-sandbox";

/** "10.10.0.5/24" -> "10.10.0.5". */
export const plainAddress = (cidr: string): string => cidr.split("/")[0] ?? cidr;

/** A local task attached to the node network: its netns name as `ip netns` knows it. */
export interface LocalTask {
  task: Task;
  netns: string;
}

/**
 * The node's overlay as the network view and the local tasks make it: every network of the view; an
 * attachment per local task and network it has an address on (and the mesh endpoint's, given its netns); every
 * endpoint on another node as a remote; every VIP with the serving tasks of its service as backends. Pure.
 */
export function overlayDesired(
  view: NetworkView,
  nodeId: string,
  local: readonly LocalTask[],
  meshNetns?: string,
): OverlayDesiredState {
  const subnets = new Map(view.networks.map((n) => [n.id, parseSubnet(n.subnet)]));
  // Only addresses in a network's (first) subnet are programmed: one a grown network gave out elsewhere is
  // left off rather than failing the whole node's reconcile.
  const fits = (networkId: string, address: string): boolean => {
    const s = subnets.get(networkId);
    return s !== undefined && inSubnet(s, address);
  };
  const attachments = local.flatMap(({ task, netns }) =>
    task.networks.flatMap((a) => {
      const address = plainAddress(a.addresses[0] ?? "");
      return fits(a.networkId, address) ? [{ networkId: a.networkId, netns, address }] : [];
    }),
  );
  if (meshNetns !== undefined)
    for (const a of view.nodeAttachments)
      if (fits(a.networkId, a.address))
        attachments.push({ networkId: a.networkId, netns: meshNetns, address: a.address });
  const remotes = view.endpoints
    .filter((e) => e.nodeId !== nodeId && fits(e.networkId, e.address))
    .map((e) => ({ networkId: e.networkId, address: e.address, mac: macOf(e.address), nodeAddress: e.nodeAddr }));
  const vips = view.services.flatMap((s) =>
    s.vips
      .filter((v) => fits(v.networkId, v.address))
      .map((v) => ({
        networkId: v.networkId,
        vip: v.address,
        backends: servingOn(view, s.id, v.networkId).filter((b) => fits(v.networkId, b)),
      })),
  );
  return {
    networks: view.networks.map((n) => ({ id: n.id, vni: n.vni, subnet: n.subnet, gateway: n.gateway })),
    attachments,
    remotes,
    vips,
  };
}

/** The addresses of a service's serving tasks on a network, sorted. */
function servingOn(view: NetworkView, serviceId: string, networkId: string, exceptNode?: string): string[] {
  return view.endpoints
    .filter((e) => e.serviceId === serviceId && e.networkId === networkId && e.serving && e.nodeId !== exceptNode)
    .map((e) => e.address)
    .sort();
}

/**
 * Adds the routing mesh to the node's published-port rules. A port published through the mesh is served by
 * the service's tasks on this node when there are any (the rules already hold them: clients keep their own
 * address), else by its tasks on the other nodes, reached over the ingress network through the node's mesh
 * endpoint (which masquerades, so those tasks see the mesh endpoint's address). With no task anywhere the port
 * refuses. Pure; keeps the order of `publishedPortRules`.
 */
export function withMesh(local: readonly PublishedPortRule[], view: NetworkView, nodeId: string): PublishedPortRule[] {
  const ingress = view.networks.find((n) => n.ingress);
  if (ingress === undefined || view.nodeAttachments.every((a) => a.networkId !== ingress.id)) return [...local];
  const rules = [...local];
  for (const s of view.services) {
    for (const p of s.ports) {
      if (p.publishMode !== "ingress") continue;
      const own = rules.find((r) => r.publishedPort === p.publishedPort && r.protocol === p.protocol);
      if (own !== undefined && own.backends.length > 0) continue;
      const backends = servingOn(view, s.id, ingress.id, nodeId);
      if (own !== undefined) rules.splice(rules.indexOf(own), 1);
      rules.push({ protocol: p.protocol, publishedPort: p.publishedPort, targetPort: p.targetPort, backends });
    }
  }
  return rules.sort((a, b) => a.publishedPort - b.publishedPort || a.protocol.localeCompare(b.protocol));
}

/** The VIP (TTL) and task-list (TTL) answers' lifetimes: VIPs stay, task lists change with every task. */
export const VIP_TTL = 10;
export const TASKS_TTL = 0;

/**
 * Answers a DNS name for the local task at `client` (its node-network address), from the view: `<service>` or
 * one of the service's aliases gives its VIP on a network the two share (endpoint mode vip) or the addresses of
 * its serving tasks there (dnsrr); `tasks.<service>` gives those addresses in either mode. Names the client's
 * networks do not hold, and clients that are no local task, are undefined (forwarded). Pure.
 */
export function answerName(view: NetworkView, clientTask: Task | undefined, name: string): DnsAnswer | undefined {
  if (clientTask === undefined) return undefined;
  const mine = new Set(clientTask.networks.filter((a) => a.addresses.length > 0).map((a) => a.networkId));
  const tasksOf = name.startsWith("tasks.");
  const wanted = tasksOf ? name.slice("tasks.".length) : name;
  for (const s of view.services) {
    const names = (networkId: string): string[] => [
      s.name.toLowerCase(),
      ...(s.aliases.find((a) => a.networkId === networkId)?.names ?? []).map((n) => n.toLowerCase()),
    ];
    for (const networkId of [...mine].sort()) {
      if (!names(networkId).includes(wanted)) continue;
      const vip = s.vips.find((v) => v.networkId === networkId);
      const serving = servingOn(view, s.id, networkId);
      if (!tasksOf && s.endpointMode === "vip" && vip !== undefined) return { addresses: [vip.address], ttl: VIP_TTL };
      if (serving.length > 0 || tasksOf || s.endpointMode === "dnsrr") return { addresses: serving, ttl: TASKS_TTL };
    }
  }
  return undefined;
}

/** A PTR answer: the name of the task or VIP at `address` on the client's networks ("web.1a2b3c" / "web"). */
export function answerAddress(view: NetworkView, address: string): string | undefined {
  const e = view.endpoints.find((x) => x.address === address && x.serviceId !== undefined);
  const byVip = view.services.find((s) => s.vips.some((v) => v.address === address));
  if (byVip) return byVip.name;
  const s = e && view.services.find((x) => x.id === e.serviceId);
  return s && e?.taskId !== undefined ? `${s.name}.${e.taskId}` : undefined;
}
