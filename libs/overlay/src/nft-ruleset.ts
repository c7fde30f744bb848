import { InvalidSpecError } from "./errors.js";
import { parseIpv4 } from "./ipv4.js";
import type { PublishedPortRule } from "./types.js";

/** What the ruleset is rendered for: the nft table, the bridge and its subnet. */
export interface RulesetTarget {
  readonly table: string;
  readonly bridge: string;
  /** Canonical CIDR of the bridge subnet. */
  readonly subnet: string;
}

/**
 * Checks published-port rules: protocol tcp or udp, ports 1 to 65535, backends IPv4 addresses without
 * repeats, and no two rules for the same protocol and published port. Throws InvalidSpecError naming the rule.
 */
export function checkRules(rules: readonly PublishedPortRule[]): void {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    if (r.protocol !== "tcp" && r.protocol !== "udp") {
      throw new InvalidSpecError(`${at}.protocol`, `${JSON.stringify(r.protocol)} must be "tcp" or "udp"`);
    }
    for (const field of ["publishedPort", "targetPort"] as const) {
      const port = r[field];
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new InvalidSpecError(`${at}.${field}`, `${String(port)} must be a port number from 1 to 65535`);
      }
    }
    const key = `${r.protocol}/${r.publishedPort}`;
    if (seen.has(key)) {
      throw new InvalidSpecError(`${at}.publishedPort`, `${key} is published twice; give each published port one rule`);
    }
    seen.add(key);
    r.backends.forEach((b, j) => {
      if (parseIpv4(b) === undefined) {
        throw new InvalidSpecError(
          `${at}.backends[${j}]`,
          `${JSON.stringify(b)} must be an IPv4 address such as "10.211.0.5"`,
        );
      }
    });
    if (new Set(r.backends).size !== r.backends.length) {
      throw new InvalidSpecError(`${at}.backends`, `lists an address twice; list each task's address once`);
    }
  });
}

/** The rule's DNAT statement: one backend directly, several round-robin over a numgen map. */
function dnat(r: PublishedPortRule): string {
  const match = `${r.protocol} dport ${r.publishedPort}`;
  if (r.backends.length === 1) return `${match} dnat to ${r.backends[0] ?? ""}:${r.targetPort}`;
  const map = r.backends.map((b, i) => `${i} : ${b}`).join(", ");
  return `${match} dnat to numgen inc mod ${r.backends.length} map { ${map} } : ${r.targetPort}`;
}

/** A closed port: refused at once (TCP reset, ICMP port unreachable for UDP) rather than left to time out. */
function refuse(r: PublishedPortRule): string {
  return `${r.protocol} dport ${r.publishedPort} ${r.protocol === "tcp" ? "reject with tcp reset" : "reject"}`;
}

function chain(name: string, lines: readonly string[]): string[] {
  return [`\tchain ${name} {`, ...lines.map((l) => `\t\t${l}`), "\t}"];
}

/**
 * Renders the whole nft table as one `nft -f` script: it creates the table if missing, flushes it and defines
 * every chain again, so the kernel applies all of it or none of it. Rules are sorted by protocol and port so
 * the same set always renders the same text. The rules must have passed checkRules.
 */
export function renderRuleset(target: RulesetTarget, rules: readonly PublishedPortRule[]): string {
  const sorted = [...rules].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.publishedPort - b.publishedPort);
  const br = JSON.stringify(target.bridge);
  const lines = [
    `table ip ${target.table} {}`,
    `flush table ip ${target.table}`,
    `table ip ${target.table} {`,
    ...chain("prerouting", [
      "type nat hook prerouting priority dstnat; policy accept;",
      "fib daddr type local jump published",
    ]),
    ...chain("output", ["type nat hook output priority -100; policy accept;", "fib daddr type local jump published"]),
    ...chain("published", sorted.filter((r) => r.backends.length > 0).map(dnat)),
    ...chain("postrouting", [
      "type nat hook postrouting priority srcnat; policy accept;",
      `oifname != ${br} ip saddr ${target.subnet} masquerade`,
      `oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
      `oifname ${br} ip saddr ${target.subnet} ct status dnat masquerade`,
    ]),
    ...chain("input", [
      "type filter hook input priority filter; policy accept;",
      `iifname ${br} ip daddr 127.0.0.0/8 ct state != { established, related } drop`,
      ...sorted.filter((r) => r.backends.length === 0).map(refuse),
    ]),
    ...chain("forward", [
      "type filter hook forward priority filter; policy accept;",
      `iifname ${br} accept`,
      `oifname ${br} accept`,
    ]),
    "}",
  ];
  return lines.join("\n") + "\n";
}

/** An `nft -f` script that removes the table if it exists and succeeds if it does not. */
export function renderDeleteTable(table: string): string {
  return `table ip ${table} {}\ndelete table ip ${table}\n`;
}
