import type { Task } from "@shoal/api";
import { updateOf, type Command, type StoreState } from "@shoal/store";
import { ingressOf, networksOf, networksOfTask } from "../model/networks.js";
import { byAge, holdsAddresses, NetworkBook } from "./network-book.js";
import { isTerminal } from "@shoal/api";

export { FIRST_VNI } from "./network-book.js";

const DEFAULT_POOL = ["10.10.0.0/16"];

/**
 * One pass of the network allocator. Pure. Gives every network a VXLAN id (the lowest free from 4096) and a
 * subnet (its own, or the next free /24 of the cluster's default pools), every service a virtual IP on each
 * network its tasks join (endpoint mode vip), every task that has not ended an address on each of its
 * networks, and every node an address on the ingress network. A network whose subnets are full gets another
 * /24 from the pools (unless the user chose its subnets); a task that cannot get an address waits, with a
 * message saying why. Addresses of ended tasks and of removed services are free again; nothing in use is ever
 * handed out twice, since the pass counts every address the store holds before it hands out one.
 */
export function allocate(state: StoreState): Command[] {
  const book = new NetworkBook(state.list("network"), state.cluster()?.spec.defaultAddressPool ?? DEFAULT_POOL);
  book.assignNetworks();
  book.markInUse(state);
  const commands = [
    ...allocateVips(state, book),
    ...allocateTaskAddresses(state, book),
    ...allocateMeshEndpoints(state, book),
  ];
  return [...book.networkUpdates(state), ...commands];
}

/** Phase 3: a virtual IP for every vip-mode service on each network its tasks join; VIPs on networks it left are dropped. */
function allocateVips(state: StoreState, book: NetworkBook): Command[] {
  const commands: Command[] = [];
  for (const s of state.list("service").sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
    const nets = s.spec.endpoint.mode === "vip" ? networksOf(state, s.spec.taskTemplate) : [];
    const kept = s.endpoint.virtualIps.filter((v) => nets.some((n) => n.id === v.networkId));
    const virtualIps = [...kept];
    for (const n of nets) {
      if (virtualIps.some((v) => v.networkId === n.id)) continue;
      const addr = book.take(n.id);
      if (addr) virtualIps.push({ networkId: n.id, addr });
    }
    if (virtualIps.length !== s.endpoint.virtualIps.length || kept.length !== s.endpoint.virtualIps.length) {
      commands.push(updateOf("service", s, { endpoint: { ...s.endpoint, virtualIps } }));
    }
  }
  return commands;
}

/**
 * Phase 4: an address for every live task on each network it joins, all or nothing: a task that cannot get
 * one on some network gives back what it took and waits, with a message saying why.
 */
function allocateTaskAddresses(state: StoreState, book: NetworkBook): Command[] {
  const commands: Command[] = [];
  for (const t of state.list("task").sort(byAge)) {
    if (!holdsAddresses(t) || isTerminal(t.desiredState)) continue;
    const missing = networksOfTask(state, t).filter(
      (n) => !t.networks.some((a) => a.networkId === n.id && a.addresses.length > 0),
    );
    if (missing.length === 0) continue;
    const added: Task["networks"] = [];
    const full: string[] = [];
    for (const n of missing) {
      const addr = book.take(n.id);
      if (addr) added.push({ networkId: n.id, addresses: [addr] });
      else full.push(n.spec.name);
    }
    if (full.length > 0) {
      for (const a of added) for (const addr of a.addresses) book.giveBack(a.networkId, addr);
      const message = `waiting for an address on network ${full.join(", ")}: its subnets are full; add a subnet or widen the cluster's default address pool`;
      if (t.status.message !== message && (t.status.state === "new" || t.status.state === "pending")) {
        commands.push(updateOf("task", t, { status: { ...t.status, message } }));
      }
      continue;
    }
    commands.push(updateOf("task", t, { networks: [...t.networks.filter((a) => a.addresses.length > 0), ...added] }));
  }
  return commands;
}

/**
 * Phase 5: every node gets an address on the ingress network: the routing mesh's endpoint there, from which
 * it reaches the tasks of published ports on other nodes.
 */
function allocateMeshEndpoints(state: StoreState, book: NetworkBook): Command[] {
  const ingress = ingressOf(state);
  if (!ingress) return [];
  const commands: Command[] = [];
  for (const n of state.list("node").sort(byAge)) {
    const has = n.attachments ?? [];
    if (has.some((a) => a.networkId === ingress.id)) continue;
    const addr = book.take(ingress.id);
    if (addr) commands.push(updateOf("node", n, { attachments: [...has, { networkId: ingress.id, address: addr }] }));
  }
  return commands;
}
