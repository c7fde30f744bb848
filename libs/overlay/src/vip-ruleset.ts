import { createHash } from "node:crypto";
import { VIP_MARKER_PREFIX } from "./overlay-observed.js";

/** A VIP and the addresses it balances over, as rendered into a network's netns. */
export interface VipRule {
  readonly vip: string;
  readonly backends: readonly string[];
}

/** The DNAT rule of a VIP: one backend directly, several at random per new connection; the port is kept. */
function dnat(r: VipRule): string {
  if (r.backends.length === 1) return `ip daddr ${r.vip} dnat to ${r.backends[0] ?? ""}`;
  const map = r.backends.map((b, i) => `${i} : ${b}`).join(", ");
  return `ip daddr ${r.vip} dnat to numgen random mod ${r.backends.length} map { ${map} }`;
}

/** A rendered VIP table: its rules and the name of the marker chain that carries their hash. */
export interface VipTable {
  readonly marker: string;
  readonly lines: readonly string[];
}

/**
 * The VIP table of a network's netns, sorted so the same input always gives the same text, with the marker
 * chain that carries its hash (how a later reconcile sees that the table is already right).
 *
 * Tasks send VIP traffic to the bridge (the VIPs are its addresses); prerouting DNATs it to a backend on this
 * node or another, keeping the client's address and port. Replies come back bridged, and conntrack (the
 * netns has bridge-nf-call-iptables) turns their source back into the VIP. A task that lands on itself gets
 * its connection masqueraded to the gateway, or its own reply would never pass the bridge's netns. A VIP
 * without backends is a local address nothing listens on: connections are refused.
 */
export function vipTableBody(rules: readonly VipRule[], localAddresses: readonly string[]): VipTable {
  const sorted = [...rules].sort((a, b) => a.vip.localeCompare(b.vip));
  const nat = sorted.filter((r) => r.backends.length > 0).map(dnat);
  const backends = new Set(sorted.flatMap((r) => r.backends));
  const hairpin = [...localAddresses]
    .filter((a) => backends.has(a))
    .sort()
    .map((a) => `ip saddr ${a} ip daddr ${a} ct status dnat masquerade`);
  const body = [
    "\tchain prerouting {",
    "\t\ttype nat hook prerouting priority dstnat; policy accept;",
    ...nat.map((l) => `\t\t${l}`),
    "\t}",
    "\tchain postrouting {",
    "\t\ttype nat hook postrouting priority srcnat; policy accept;",
    ...hairpin.map((l) => `\t\t${l}`),
    "\t}",
  ];
  const marker = VIP_MARKER_PREFIX + createHash("sha256").update(body.join("\n")).digest("hex").slice(0, 16);
  return { marker, lines: [`\tchain ${marker} {`, "\t}", ...body] };
}

/**
 * The `nft -f` script that replaces a VIP table in one transaction: create it if missing, delete it, define
 * it again. Traffic sees the old rules or the new ones, never none.
 */
export function renderVipTable(table: string, body: VipTable): string[] {
  return [`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`, ...body.lines, "}"];
}
