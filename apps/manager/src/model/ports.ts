import type { Service, ServiceSpec } from "@shoal/api";
import { ManagerError } from "../errors.js";

/** The range published ports are picked from when a spec leaves them out (like Swarm's 30000-32767). */
export const DYNAMIC_PORTS = { first: 30000, last: 32767 } as const;

type ResolvedPort = Service["endpoint"]["ports"][number];

/**
 * Gives every published port of a spec its number: the one asked for, the one the service had before for the
 * same target (so an update keeps it), or the first free one of the dynamic range. Refuses a port another
 * service publishes. Pure.
 */
export function allocatePorts(spec: ServiceSpec, others: readonly Service[], previous?: Service): ResolvedPort[] {
  const taken = new Map<string, string>();
  for (const s of others) for (const p of s.endpoint.ports) taken.set(`${p.publishedPort}/${p.protocol}`, s.spec.name);
  const out: ResolvedPort[] = [];
  const mine = new Set<string>();
  spec.endpoint.ports.forEach((p, i) => {
    if (p.publishedPort !== undefined) {
      const key = `${p.publishedPort}/${p.protocol}`;
      const owner = taken.get(key);
      if (owner) {
        throw new ManagerError(
          "SHOAL_ERR_PORT_IN_USE",
          `endpoint.ports.${i}: port ${key} is already published by service ${owner}`,
          { hint: "pick another published port, or remove it from that service" },
        );
      }
      mine.add(key);
      out.push({ ...p, publishedPort: p.publishedPort });
      return;
    }
    const before = previous?.endpoint.ports.find((q) => q.targetPort === p.targetPort && q.protocol === p.protocol);
    out.push({ ...p, publishedPort: before?.publishedPort ?? 0 });
  });
  for (const p of out) {
    if (p.publishedPort !== 0) {
      mine.add(`${p.publishedPort}/${p.protocol}`);
      continue;
    }
    let n: number = DYNAMIC_PORTS.first;
    while (n <= DYNAMIC_PORTS.last && (taken.has(`${n}/${p.protocol}`) || mine.has(`${n}/${p.protocol}`))) n++;
    if (n > DYNAMIC_PORTS.last)
      throw new ManagerError(
        "SHOAL_ERR_PORT_IN_USE",
        `no free port left in ${DYNAMIC_PORTS.first}-${DYNAMIC_PORTS.last}`,
        { hint: "publish an explicit port" },
      );
    p.publishedPort = n;
    mine.add(`${n}/${p.protocol}`);
  }
  return out;
}
