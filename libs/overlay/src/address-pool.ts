import { AddressesExhaustedError } from "./errors.js";
import { formatIpv4, parseIpv4, type Ipv4Subnet } from "./ipv4.js";

/**
 * The addresses handed out on one subnet: a plain value, persisted as JSON by the caller.
 * Invariant: no two tasks hold the same address, and none holds the network, gateway or broadcast address.
 */
export interface AddressPool {
  /** Task id -> address (dotted quad). */
  readonly byTask: Readonly<Record<string, string>>;
  /** The address handed out last; the next search starts after it, so a freed address is not reused at once. */
  readonly last?: string;
}

/** A pool with nothing handed out. */
export const EMPTY_POOL: AddressPool = { byTask: {} };

/**
 * Hands `taskId` an address of `subnet`: the one it already holds, else the first free one after the last
 * handed out (wrapping around), like a DHCP server's next-fit. Going on from the last one, rather than taking
 * the lowest free address, keeps a just-freed address out of use for as long as possible, so stale ARP and
 * conntrack entries of an ended task do not reach its successor. Throws AddressesExhaustedError when full.
 */
export function allocateAddress(
  pool: AddressPool,
  subnet: Ipv4Subnet,
  taskId: string,
): { readonly pool: AddressPool; readonly address: string } {
  const held = pool.byTask[taskId];
  if (held !== undefined) return { pool, address: held };
  const used = new Set(Object.values(pool.byTask).map((a) => parseIpv4(a)));
  // Usable: network+2 (after the gateway) .. broadcast-1.
  const first = subnet.network + 2;
  const end = subnet.broadcast - 1;
  const count = end - first + 1;
  const lastN = pool.last === undefined ? undefined : parseIpv4(pool.last);
  const start = lastN !== undefined && lastN >= first && lastN <= end ? lastN + 1 - first : 0;
  for (let i = 0; i < count; i++) {
    const n = first + ((start + i) % count);
    if (!used.has(n)) {
      const address = formatIpv4(n);
      return { pool: { byTask: { ...pool.byTask, [taskId]: address }, last: address }, address };
    }
  }
  throw new AddressesExhaustedError(subnet.cidr);
}

/** Frees the address of `taskId`; a task without one leaves the pool as it is. */
export function releaseAddress(pool: AddressPool, taskId: string): AddressPool {
  if (!(taskId in pool.byTask)) return pool;
  const { [taskId]: _freed, ...rest } = pool.byTask;
  return pool.last === undefined ? { byTask: rest } : { byTask: rest, last: pool.last };
}
