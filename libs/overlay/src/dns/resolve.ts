import { parseIpv4 } from "../ipv4.js";
import {
  buildResponse,
  CLASS_IN,
  parseQuery,
  Rcode,
  TYPE_A,
  TYPE_PTR,
  udpLimit,
  type DnsQuery,
  type DnsRecord,
} from "./message.js";

/** The cluster's answer for a name: IPv4 addresses and the TTL to give them. */
export interface DnsAnswer {
  addresses: string[];
  ttl: number;
}

/** name: lower-case, no trailing dot. client: the querying IPv4 source address. undefined: not ours, forward. */
export type DnsLookup = (name: string, client: string) => DnsAnswer | undefined;

/** address -> a name (no trailing dot) for PTR queries of in-addr.arpa, or undefined (then forward). */
export type DnsReverseLookup = (address: string, client: string) => string | undefined;

/** What the resolver does with one query. */
export type Decision =
  | { readonly kind: "reply"; readonly response: Buffer; readonly failure?: unknown }
  /** Not a cluster name: send the query to the upstreams; answer SERVFAIL (`servfail`) when none does. */
  | { readonly kind: "forward"; readonly query: DnsQuery; readonly servfail: Buffer }
  | { readonly kind: "drop"; readonly reason: string };

/** What decide() needs besides the query bytes. */
export interface DecideContext {
  readonly client: string;
  readonly transport: "udp" | "tcp";
  readonly lookup: DnsLookup;
  readonly reverse: DnsReverseLookup | undefined;
  /** A number in [0, 1) for shuffling. */
  readonly random: () => number;
  /** TTL of PTR answers. */
  readonly reverseTtl: number;
}

const TCP_MAX_SIZE = 65535;
const REVERSE_SUFFIX = ".in-addr.arpa";

/** "4.3.2.1.in-addr.arpa" -> "1.2.3.4", or undefined for any other name. */
export function reverseAddress(name: string): string | undefined {
  if (!name.endsWith(REVERSE_SUFFIX)) return undefined;
  const octets = name.slice(0, -REVERSE_SUFFIX.length).split(".");
  if (octets.length !== 4) return undefined;
  const address = octets.reverse().join(".");
  return parseIpv4(address) === undefined ? undefined : address;
}

/** A copy of `items` in random order (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(random() * (i + 1)));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/**
 * Decides the fate of one query: a reply (cluster names, errors), a forward to the upstreams, or nothing.
 * A cluster name answers A queries with its addresses in a new random order each time and every other type
 * with no answer (NODATA), so clients never wait on an upstream for it. Calls `lookup`/`reverse` but has no
 * I/O of its own; a callback that throws gives SERVFAIL with the error in `failure`.
 */
export function decide(bytes: Buffer, ctx: DecideContext): Decision {
  const parsed = parseQuery(bytes);
  if (parsed.kind === "drop") return parsed;
  if (parsed.kind === "refuse") {
    const response = buildResponse({ ...parsed, authoritative: false, answers: [] });
    return { kind: "reply", response };
  }
  const query = parsed.query;
  const maxSize = ctx.transport === "udp" ? udpLimit(query.edns) : TCP_MAX_SIZE;
  const reply = (rcode: number, records: readonly DnsRecord[], authoritative: boolean): Buffer =>
    buildResponse({ ...query, rcode, authoritative, answers: records, maxSize });
  const { name, type } = query.question;
  if (name === undefined || query.question.class !== CLASS_IN) {
    return { kind: "forward", query, servfail: reply(Rcode.SERVFAIL, [], false) };
  }
  try {
    const reverseOf = type === TYPE_PTR && ctx.reverse !== undefined ? reverseAddress(name) : undefined;
    if (reverseOf !== undefined && ctx.reverse !== undefined) {
      const target = ctx.reverse(reverseOf, ctx.client);
      if (target !== undefined) {
        return {
          kind: "reply",
          response: reply(Rcode.NOERROR, [{ type: TYPE_PTR, ttl: ctx.reverseTtl, target }], true),
        };
      }
    }
    const known = ctx.lookup(name, ctx.client);
    if (known !== undefined) {
      const records: DnsRecord[] =
        type !== TYPE_A
          ? []
          : shuffled(known.addresses, ctx.random)
              .filter((address) => parseIpv4(address) !== undefined)
              .map((address) => ({ type: TYPE_A, ttl: known.ttl, address }));
      return { kind: "reply", response: reply(Rcode.NOERROR, records, true) };
    }
  } catch (failure) {
    return { kind: "reply", response: reply(Rcode.SERVFAIL, [], false), failure };
  }
  return { kind: "forward", query, servfail: reply(Rcode.SERVFAIL, [], false) };
}
