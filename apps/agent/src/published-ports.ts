import type { Task } from "@shoal/api";
import type { PublishedPortRule } from "@shoal/overlay";

/**
 * The published-port rules of this node: one per published port and protocol of the running tasks (ingress
 * and host mode alike), balanced over those tasks' addresses. When tasks of one port disagree on the target
 * port (a rolling update changed it), the newest service version's target wins and only its tasks are
 * backends. Pure; sorted by port, then protocol, with sorted backends.
 */
export function publishedPortRules(running: readonly { task: Task; address: string }[]): PublishedPortRule[] {
  const groups = new Map<
    string,
    {
      protocol: "tcp" | "udp";
      publishedPort: number;
      members: { targetPort: number; version: number; address: string }[];
    }
  >();
  for (const { task, address } of running) {
    for (const p of task.endpoint.ports) {
      if (p.publishedPort === undefined) continue;
      const key = `${p.publishedPort}/${p.protocol}`;
      const g = groups.get(key) ?? { protocol: p.protocol, publishedPort: p.publishedPort, members: [] };
      g.members.push({ targetPort: p.targetPort, version: task.serviceVersion, address });
      groups.set(key, g);
    }
  }
  const rules: PublishedPortRule[] = [];
  for (const g of groups.values()) {
    const newest = g.members.reduce((a, b) => (b.version > a.version ? b : a));
    const backends = [
      ...new Set(g.members.filter((m) => m.targetPort === newest.targetPort).map((m) => m.address)),
    ].sort();
    rules.push({ protocol: g.protocol, publishedPort: g.publishedPort, targetPort: newest.targetPort, backends });
  }
  return rules.sort((a, b) => a.publishedPort - b.publishedPort || a.protocol.localeCompare(b.protocol));
}

/** Whether two rule lists (as {@link publishedPortRules} returns them) are the same. */
export function sameRules(a: readonly PublishedPortRule[], b: readonly PublishedPortRule[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
