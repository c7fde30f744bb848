import { formatIpv4, parseSubnet, type Ipv4Subnet } from "@shoal/overlay";
import { isTerminal, type Network, type Task } from "@shoal/api";
import { updateOf, type Command, type StoreState } from "@shoal/store";
import { addressNumber, firstFree, nextSubnet, poolOf } from "./ipam.js";

/** The first VXLAN id given to networks (below are left to other uses, as Docker does). */
export const FIRST_VNI = 4096;

/** A task holds its addresses until it has ended; a service its VIPs while it exists. */
export const holdsAddresses = (t: Task): boolean => !isTerminal(t.status.state);

/**
 * The allocator's working copy of the cluster's networks during one pass: their VXLAN ids and subnets as they
 * will be written, and every address in use on each. Nothing is handed out twice, since every address the
 * store holds is marked before the first one is taken.
 */
export class NetworkBook {
  private readonly networks: Map<string, Network>;
  private readonly changed = new Set<string>();
  private readonly takenSubnets: Ipv4Subnet[];
  private readonly used = new Map<string, Set<number>>();

  constructor(
    stored: readonly Network[],
    private readonly pools: readonly string[],
  ) {
    this.networks = new Map(stored.map((n) => [n.id, { ...n, subnets: [...n.subnets] }]));
    this.takenSubnets = [...this.networks.values()].flatMap((n) => n.subnets.map((s) => parseSubnet(s.subnet)));
  }

  /**
   * Phase 1: every network gets a VXLAN id (the lowest free from 4096) and a subnet (its own, or the next free
   * /24 of the pools), oldest network first.
   */
  assignNetworks(): void {
    const usedVnis = new Set([...this.networks.values()].flatMap((n) => (n.vni === undefined ? [] : [n.vni])));
    for (const n of [...this.networks.values()].sort(byAge)) {
      if (n.vni === undefined) {
        let vni = FIRST_VNI;
        while (usedVnis.has(vni)) vni++;
        usedVnis.add(vni);
        n.vni = vni;
        this.changed.add(n.id);
      }
      if (n.subnets.length > 0) continue;
      if (!growable(n)) {
        for (const s of n.spec.subnets) {
          const subnet = parseSubnet(s.subnet);
          n.subnets.push({ subnet: subnet.cidr, gateway: s.gateway ?? formatIpv4(subnet.network + 1) });
        }
        this.changed.add(n.id);
      } else {
        this.addSubnet(n);
      }
    }
  }

  /** Phase 2: marks every address in use: gateways, the VIPs of services, the addresses of tasks not ended and of nodes. */
  markInUse(state: StoreState): void {
    for (const n of this.networks.values())
      this.used.set(n.id, new Set(n.subnets.flatMap((s) => [addressNumber(s.gateway) ?? -1])));
    for (const s of state.list("service")) for (const v of s.endpoint.virtualIps) this.mark(v.networkId, v.addr);
    for (const t of state.list("task"))
      if (holdsAddresses(t)) for (const a of t.networks) for (const addr of a.addresses) this.mark(a.networkId, addr);
    for (const n of state.list("node")) for (const a of n.attachments ?? []) this.mark(a.networkId, a.address);
  }

  /** An address on the network as "a.b.c.d/len", growing its subnets when they are full and it may. */
  take(networkId: string): string | undefined {
    const n = this.networks.get(networkId);
    const inUse = this.used.get(networkId);
    if (!n || !inUse || n.subnets.length === 0) return undefined;
    for (;;) {
      const pools = n.subnets.map(poolOf);
      const addr = firstFree(pools, inUse);
      if (addr !== undefined) {
        inUse.add(addr);
        const pool = pools.find((p) => addr > p.subnet.network && addr < p.subnet.broadcast);
        return `${formatIpv4(addr)}/${pool?.subnet.prefixLength ?? 32}`;
      }
      if (!growable(n) || !this.addSubnet(n)) return undefined;
    }
  }

  /** Gives back an address taken in this pass. */
  giveBack(networkId: string, addr: string): void {
    this.used.get(networkId)?.delete(addressNumber(addr) ?? -1);
  }

  /** The updates of the networks whose VXLAN id or subnets this pass changed. */
  networkUpdates(state: StoreState): Command[] {
    const out: Command[] = [];
    for (const id of this.changed) {
      const n = this.networks.get(id);
      const stored = state.get("network", id);
      if (n && stored) out.unshift(updateOf("network", stored, { vni: n.vni, subnets: n.subnets }));
    }
    return out;
  }

  private mark(networkId: string, addr: string): void {
    const n = addressNumber(addr);
    if (n !== undefined) this.used.get(networkId)?.add(n);
  }

  private addSubnet(n: Network): boolean {
    const next = nextSubnet(this.pools, this.takenSubnets);
    if (!next) return false;
    this.takenSubnets.push(next);
    n.subnets.push({ subnet: next.cidr, gateway: formatIpv4(next.network + 1) });
    this.changed.add(n.id);
    return true;
  }
}

/** A network whose user chose no subnets may get more /24s from the pools. */
const growable = (n: Network): boolean => n.spec.subnets.length === 0;

/** Oldest first, then by id: the order every phase of a pass walks objects in. */
export const byAge = (a: Aged, b: Aged): number => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

type Aged = { readonly createdAt: string; readonly id: string };
