import { formatIpv4, parseIpv4, parseSubnet, type Ipv4Subnet } from "@shoal/overlay";

/** A subnet of a network as the allocator hands addresses out of it. */
export interface Pool {
  readonly subnet: Ipv4Subnet;
  /** Never handed out: the gateway. */
  readonly gateway: number;
}

/** The pool of a network subnet record. */
export function poolOf(s: { subnet: string; gateway: string }): Pool {
  return { subnet: parseSubnet(s.subnet), gateway: parseIpv4(s.gateway) ?? 0 };
}

/**
 * The lowest address of the pools not in `used` (neither the network address, the broadcast nor the
 * gateway), or undefined when every pool is full.
 */
export function firstFree(pools: readonly Pool[], used: ReadonlySet<number>): number | undefined {
  for (const p of pools) {
    for (let n = p.subnet.network + 1; n < p.subnet.broadcast; n++) {
      if (n !== p.gateway && !used.has(n)) return n;
    }
  }
  return undefined;
}

function overlaps(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/**
 * The first /`prefixLength` subnet of the cluster's default pools that overlaps none of `taken`, or undefined
 * when they are all used (the caller says so: the pool must be widened).
 */
export function nextSubnet(
  defaultPools: readonly string[],
  taken: readonly Ipv4Subnet[],
  prefixLength = 24,
): Ipv4Subnet | undefined {
  const size = 2 ** (32 - prefixLength);
  for (const text of defaultPools) {
    const pool = parseSubnet(text, "defaultAddressPool");
    if (pool.prefixLength > prefixLength) {
      if (!taken.some((t) => overlaps(t, pool))) return pool;
      continue;
    }
    for (let n = pool.network; n + size - 1 <= pool.broadcast; n += size) {
      const candidate: Ipv4Subnet = {
        cidr: `${formatIpv4(n)}/${prefixLength}`,
        network: n,
        prefixLength,
        broadcast: n + size - 1,
      };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  return undefined;
}

/** The numeric address of dotted-quad text, or undefined. */
export const addressNumber = (text: string): number | undefined => parseIpv4(text.split("/")[0] ?? "");
