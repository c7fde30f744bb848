/** The nftables table the harness adds inside a node to cut it off from others. */
export const PARTITION_TABLE = "shoal_harness_partition";

/** A node of a partition plan: its name and its address on the cluster's network. */
export interface PartitionMember {
  readonly name: string;
  readonly address: string;
}

/**
 * The nft script each node needs so that packets from `a` to `b` are dropped (and from `b` to `a` too unless
 * `oneWay`). Pure: returns, per node name, a script that replaces the node's partition table. A node in both
 * groups is refused, since it cannot be cut off from itself.
 */
export function planPartition(
  a: readonly PartitionMember[],
  b: readonly PartitionMember[],
  oneWay = false,
): Map<string, string> {
  const inA = new Set(a.map((n) => n.name));
  const both = b.filter((n) => inA.has(n.name));
  if (both.length > 0)
    throw new RangeError(
      `harness: node ${both.map((n) => n.name).join(", ")} is on both sides of the partition; give disjoint groups`,
    );
  const out = new Map<string, { dropIn: string[]; dropOut: string[] }>();
  const rules = (n: PartitionMember): { dropIn: string[]; dropOut: string[] } => {
    let r = out.get(n.name);
    if (!r) out.set(n.name, (r = { dropIn: [], dropOut: [] }));
    return r;
  };
  const cut = (from: readonly PartitionMember[], to: readonly PartitionMember[]): void => {
    for (const f of from) rules(f).dropOut.push(...to.map((t) => t.address));
    for (const t of to) rules(t).dropIn.push(...from.map((f) => f.address));
  };
  cut(a, b);
  if (!oneWay) cut(b, a);
  const scripts = new Map<string, string>();
  for (const [name, r] of out) scripts.set(name, nftScript(r.dropIn, r.dropOut));
  return scripts;
}

function nftScript(dropIn: readonly string[], dropOut: readonly string[]): string {
  const set = (xs: readonly string[]): string => `{ ${[...new Set(xs)].join(", ")} }`;
  const lines = [
    `table inet ${PARTITION_TABLE}`,
    `delete table inet ${PARTITION_TABLE}`,
    `table inet ${PARTITION_TABLE} {`,
    "  chain input {",
    "    type filter hook input priority -300; policy accept;",
    ...(dropIn.length ? [`    ip saddr ${set(dropIn)} drop`] : []),
    "  }",
    "  chain output {",
    "    type filter hook output priority -300; policy accept;",
    ...(dropOut.length ? [`    ip daddr ${set(dropOut)} drop`] : []),
    "  }",
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

/** The nft script that removes a node's partition table (creating it first so that the delete cannot fail). */
export function healScript(): string {
  return `table inet ${PARTITION_TABLE}\ndelete table inet ${PARTITION_TABLE}\n`;
}
