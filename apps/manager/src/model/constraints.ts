import type { Node } from "@shoal/api";

/** A parsed constraint: `node.labels.zone == a` -> { key: "node.labels.zone", op: "==", value: "a" }. */
export function parseConstraint(text: string): { key: string; op: "==" | "!="; value: string } | undefined {
  const m = /^\s*([^\s=!]+)\s*(==|!=)\s*(.+?)\s*$/.exec(text);
  if (!m || !m[1] || !m[3]) return undefined;
  return { key: m[1], op: m[2] as "==" | "!=", value: m[3] };
}

/** The value of a constraint key for a node, undefined when the node has none. */
export function nodeAttribute(node: Node, key: string): string | undefined {
  if (key === "node.id") return node.id;
  if (key === "node.hostname") return node.description.hostname;
  if (key === "node.role") return node.spec.role;
  if (key === "node.platform.os") return node.description.platform.os;
  if (key === "node.platform.arch") return node.description.platform.architecture;
  if (key.startsWith("node.labels.")) return node.spec.labels[key.slice("node.labels.".length)];
  if (key.startsWith("engine.labels.")) return node.description.engine.labels[key.slice("engine.labels.".length)];
  return undefined;
}

/** The first of `constraints` the node does not meet, as a reason; undefined when it meets them all. */
export function unmetConstraint(constraints: readonly string[], node: Node): string | undefined {
  for (const c of constraints) {
    const parsed = parseConstraint(c);
    if (!parsed) return `constraint ${JSON.stringify(c)} cannot be read`;
    const actual = nodeAttribute(node, parsed.key);
    const equal = actual === parsed.value;
    if (parsed.op === "==" ? !equal : equal)
      return `constraint ${parsed.key}${parsed.op}${parsed.value} not met (${actual === undefined ? "unset" : JSON.stringify(actual)})`;
  }
  return undefined;
}
