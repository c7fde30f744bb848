import { createHash } from "node:crypto";
import { VIP_MARKER_PREFIX } from "./overlay-observed.js";

/** A VIP and the addresses it balances over, as rendered into a task's netns. */
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

/**
 * The rules of a task's VIP table, sorted so the same set always gives the same text, and the name of the
 * marker chain that carries their hash (how a later reconcile sees that the table is already right).
 */
export function vipTableBody(rules: readonly VipRule[]): { marker: string; lines: string[] } {
  const sorted = [...rules].sort((a, b) => a.vip.localeCompare(b.vip));
  const nat = sorted.filter((r) => r.backends.length > 0).map(dnat);
  const refused = sorted
    .filter((r) => r.backends.length === 0)
    .flatMap((r) => [`ip daddr ${r.vip} meta l4proto tcp reject with tcp reset`, `ip daddr ${r.vip} reject`]);
  const body = [
    "\tchain output {",
    "\t\ttype nat hook output priority -100; policy accept;",
    ...nat.map((l) => `\t\t${l}`),
    "\t}",
    "\tchain refuse {",
    "\t\ttype filter hook output priority filter; policy accept;",
    ...refused.map((l) => `\t\t${l}`),
    "\t}",
  ];
  const marker = VIP_MARKER_PREFIX + createHash("sha256").update(body.join("\n")).digest("hex").slice(0, 16);
  return { marker, lines: [`\tchain ${marker} {`, "\t}", ...body] };
}

/**
 * The `nft -f` script that replaces a task's VIP table in one transaction: create it if missing, delete it,
 * define it again. Traffic sees the old rules or the new ones, never none.
 */
export function renderVipTable(table: string, rules: readonly VipRule[]): string[] {
  return [`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`, ...vipTableBody(rules).lines, "}"];
}
