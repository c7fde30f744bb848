import { formatIpv4, parseSubnet } from "@shoal/overlay";
import { DEFAULT_NETWORK, INGRESS_NETWORK, isTerminal, type Network, type Task } from "@shoal/api";
import { updateOf, type Command, type StoreState } from "@shoal/store";
import { addressNumber, firstFree, nextSubnet, poolOf } from "./ipam.js";

/** The first VXLAN id given to networks (below are left to other uses, as Docker does). */
export const FIRST_VNI = 4096;
const DEFAULT_POOL = ["10.10.0.0/16"];

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
  return networksOfTask(state, task).every((n) => task.networks.some((a) => a.networkId === n.id && a.addresses.length > 0));
}

/** A task holds its addresses until it has ended; a service its VIPs while it exists. */
const holdsAddresses = (t: Task): boolean => !isTerminal(t.status.state);

/**
 * One pass of the network allocator. Pure. Gives every network a VXLAN id (the lowest free from 4096) and a
 * subnet (its own, or the next free /24 of the cluster's default pools), every service a virtual IP on each
 * network its tasks join (endpoint mode vip), and every task that has not ended an address on each of its
 * networks. A network whose subnets are full gets another /24 from the pools (unless the user chose its
 * subnets); a task that cannot get an address waits, with a message saying why. Addresses of ended tasks
 * and of removed services are free again; nothing in use is ever handed out twice, since the pass counts
 * every address the store holds before it hands out one.
 */
export function allocate(state: StoreState): Command[] {
  const pools = state.cluster()?.spec.defaultAddressPool ?? DEFAULT_POOL;
  const networks = new Map(state.list("network").map((n) => [n.id, { ...n, subnets: [...n.subnets] }]));
  const changedNetworks = new Set<string>();
  const usedVnis = new Set([...networks.values()].flatMap((n) => (n.vni === undefined ? [] : [n.vni])));
  const takenSubnets = [...networks.values()].flatMap((n) => n.subnets.map((s) => parseSubnet(s.subnet)));

  const growable = (n: Network): boolean => n.spec.subnets.length === 0;
  const addSubnet = (n: Network): boolean => {
    const next = nextSubnet(pools, takenSubnets);
    if (!next) return false;
    takenSubnets.push(next);
    n.subnets.push({ subnet: next.cidr, gateway: formatIpv4(next.network + 1) });
    changedNetworks.add(n.id);
    return true;
  };

  for (const n of [...networks.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    if (n.vni === undefined) {
      let vni = FIRST_VNI;
      while (usedVnis.has(vni)) vni++;
      usedVnis.add(vni);
      n.vni = vni;
      changedNetworks.add(n.id);
    }
    if (n.subnets.length > 0) continue;
    if (!growable(n)) {
      for (const s of n.spec.subnets) {
        const subnet = parseSubnet(s.subnet);
        n.subnets.push({ subnet: subnet.cidr, gateway: s.gateway ?? formatIpv4(subnet.network + 1) });
      }
      changedNetworks.add(n.id);
    } else {
      addSubnet(n);
    }
  }

  // Every address in use, per network: gateways, the VIPs of services, the addresses of tasks not ended.
  const used = new Map([...networks.values()].map((n) => [n.id, new Set(n.subnets.flatMap((s) => [addressNumber(s.gateway) ?? -1]))]));
  const mark = (networkId: string, addr: string): void => {
    const n = addressNumber(addr);
    if (n !== undefined) used.get(networkId)?.add(n);
  };
  const services = state.list("service");
  for (const s of services) for (const v of s.endpoint.virtualIps) mark(v.networkId, v.addr);
  const tasks = state.list("task");
  for (const t of tasks) if (holdsAddresses(t)) for (const a of t.networks) for (const addr of a.addresses) mark(a.networkId, addr);
  const nodes = state.list("node");
  for (const n of nodes) for (const a of n.attachments ?? []) mark(a.networkId, a.address);

  /** An address on the network as "a.b.c.d/len", growing its subnets when they are full and it may. */
  const take = (networkId: string): string | undefined => {
    const n = networks.get(networkId);
    const inUse = used.get(networkId);
    if (!n || !inUse || n.subnets.length === 0) return undefined;
    for (;;) {
      const pools = n.subnets.map(poolOf);
      const addr = firstFree(pools, inUse);
      if (addr !== undefined) {
        inUse.add(addr);
        const pool = pools.find((p) => addr > p.subnet.network && addr < p.subnet.broadcast);
        return `${formatIpv4(addr)}/${pool?.subnet.prefixLength ?? 32}`;
      }
      if (!growable(n) || !addSubnet(n)) return undefined;
    }
  };

  const commands: Command[] = [];
  for (const s of [...services].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
    const nets = s.spec.endpoint.mode === "vip" ? networksOf(state, s.spec.taskTemplate) : [];
    const kept = s.endpoint.virtualIps.filter((v) => nets.some((n) => n.id === v.networkId));
    const virtualIps = [...kept];
    for (const n of nets) {
      if (virtualIps.some((v) => v.networkId === n.id)) continue;
      const addr = take(n.id);
      if (addr) virtualIps.push({ networkId: n.id, addr });
    }
    if (virtualIps.length !== s.endpoint.virtualIps.length || kept.length !== s.endpoint.virtualIps.length) {
      commands.push(updateOf("service", s, { endpoint: { ...s.endpoint, virtualIps } }));
    }
  }

  for (const t of [...tasks].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    if (!holdsAddresses(t) || isTerminal(t.desiredState)) continue;
    const missing = networksOfTask(state, t).filter((n) => !t.networks.some((a) => a.networkId === n.id && a.addresses.length > 0));
    if (missing.length === 0) continue;
    const added: Task["networks"] = [];
    const full: string[] = [];
    for (const n of missing) {
      const addr = take(n.id);
      if (addr) added.push({ networkId: n.id, addresses: [addr] });
      else full.push(n.spec.name);
    }
    if (full.length > 0) {
      // All or nothing: give back what this task took, and say why it waits.
      for (const a of added) for (const addr of a.addresses) used.get(a.networkId)?.delete(addressNumber(addr) ?? -1);
      const message = `waiting for an address on network ${full.join(", ")}: its subnets are full; add a subnet or widen the cluster's default address pool`;
      if (t.status.message !== message && (t.status.state === "new" || t.status.state === "pending")) {
        commands.push(updateOf("task", t, { status: { ...t.status, message } }));
      }
      continue;
    }
    commands.push(updateOf("task", t, { networks: [...t.networks.filter((a) => a.addresses.length > 0), ...added] }));
  }

  // Every node gets an address on the ingress network: the routing mesh's endpoint there, from which it
  // reaches the tasks of published ports on other nodes.
  const ingress = ingressOf(state);
  for (const n of [...nodes].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    const has = n.attachments ?? [];
    if (!ingress || has.some((a) => a.networkId === ingress.id)) continue;
    const addr = take(ingress.id);
    if (addr) commands.push(updateOf("node", n, { attachments: [...has, { networkId: ingress.id, address: addr }] }));
  }

  for (const id of changedNetworks) {
    const n = networks.get(id);
    const stored = state.get("network", id);
    if (n && stored) commands.unshift(updateOf("network", stored, { vni: n.vni, subnets: n.subnets }));
  }
  return commands;
}
