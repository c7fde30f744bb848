import { InvalidSpecError } from "./errors.js";

/** An IPv4 subnet: the network address and prefix length, with the addresses as unsigned 32-bit numbers. */
export interface Ipv4Subnet {
  /** Canonical text, e.g. "10.211.0.0/16". */
  readonly cidr: string;
  readonly network: number;
  readonly prefixLength: number;
  /** The last address (broadcast). */
  readonly broadcast: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text into an unsigned 32-bit number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (const part of m.slice(1)) {
    const octet = Number(part);
    if (octet > 255 || (part.length > 1 && part.startsWith("0"))) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** Formats an unsigned 32-bit number as dotted-quad text. */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Parses "a.b.c.d/len" for a subnet that can hold a gateway and at least one task (prefix 8 to 30). The host
 * bits must be zero, so a typo such as "10.211.0.1/16" is refused rather than silently widened.
 */
export function parseSubnet(text: string, field = "subnet"): Ipv4Subnet {
  const [addr = "", len = "", ...rest] = text.split("/");
  const network = parseIpv4(addr);
  const prefixLength = /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (network === undefined || rest.length > 0 || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new InvalidSpecError(
      field,
      `${JSON.stringify(text)} is not an IPv4 subnet such as "10.211.0.0/16" (prefix 8 to 30)`,
    );
  }
  const size = 2 ** (32 - prefixLength);
  if (network % size !== 0) {
    const fixed = formatIpv4(network - (network % size));
    throw new InvalidSpecError(field, `${text} has host bits set; did you mean ${fixed}/${prefixLength}?`);
  }
  return { cidr: `${formatIpv4(network)}/${prefixLength}`, network, prefixLength, broadcast: network + size - 1 };
}

/** The gateway of a subnet: its first address, which the bridge holds. */
export function gatewayOf(subnet: Ipv4Subnet): string {
  return formatIpv4(subnet.network + 1);
}

/** True when `address` (dotted quad) lies inside `subnet`. */
export function inSubnet(subnet: Ipv4Subnet, address: string): boolean {
  const n = parseIpv4(address);
  return n !== undefined && n >= subnet.network && n <= subnet.broadcast;
}
