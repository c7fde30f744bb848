import { ClusterSpecSchema, DEFAULT_NETWORK, INGRESS_NETWORK, NetworkSpecSchema, type Cluster } from "@shoal/api";
import { updateOf, type Command } from "@shoal/store";

/** Where a manager serves, as the cluster object lists it. */
export type ManagerEntry = Cluster["managers"][number];

/** `SHLTKN-1-<cluster id>-<w|m><secret>`: says which cluster and role it is for. */
export function joinToken(clusterId: string, role: "w" | "m", secret: string): string {
  return `SHLTKN-1-${clusterId.toLowerCase()}-${role}${secret}`;
}

/**
 * The commands that create a new cluster on its first manager: the cluster object (spec, join tokens, bus
 * token, the manager itself), the routing mesh's `ingress` network, and the `default` network that services
 * naming none join. Pure: ids and secrets come from the caller.
 */
export function bootstrapCluster(o: {
  clusterId: string;
  me: ManagerEntry;
  heartbeatPeriodMs?: number | undefined;
  newId: () => string;
  newSecret: (length: number) => string;
}): Command[] {
  const spec = ClusterSpecSchema.parse(o.heartbeatPeriodMs ? { heartbeatPeriodMs: o.heartbeatPeriodMs } : {});
  const cluster: Omit<Cluster, "version" | "createdAt" | "updatedAt"> = {
    id: o.clusterId.toLowerCase(),
    spec,
    joinTokens: {
      worker: joinToken(o.clusterId, "w", o.newSecret(32)),
      manager: joinToken(o.clusterId, "m", o.newSecret(32)),
    },
    busToken: o.newSecret(40),
    managers: [o.me],
    lastRaftId: o.me.raftId,
  };
  return [
    { op: "create", kind: "cluster", object: cluster },
    {
      op: "create",
      kind: "network",
      object: { id: o.newId(), spec: NetworkSpecSchema.parse({ name: INGRESS_NETWORK, ingress: true }), subnets: [] },
    },
    {
      op: "create",
      kind: "network",
      object: { id: o.newId(), spec: NetworkSpecSchema.parse({ name: DEFAULT_NETWORK }), subnets: [] },
    },
  ];
}

/**
 * What a starting leader changes in the cluster object about itself: its entry in the managers list (new or
 * moved), a heartbeat period given on its command line, and, after a forced new cluster, the other managers
 * dropped from the list (their node objects stay and go down). Pure.
 */
export function managerEntryChanges(
  cluster: Cluster,
  me: ManagerEntry,
  o: { heartbeatPeriodMs?: number | undefined; forceNewCluster?: boolean | undefined },
): { commands: Command[]; dropped: ManagerEntry[] } {
  const known = cluster.managers.find((m) => m.raftId === me.raftId);
  const changedPeriod = o.heartbeatPeriodMs !== undefined && cluster.spec.heartbeatPeriodMs !== o.heartbeatPeriodMs;
  const dropped = o.forceNewCluster ? cluster.managers.filter((m) => m.raftId !== me.raftId) : [];
  if (known && JSON.stringify(known) === JSON.stringify(me) && !changedPeriod && dropped.length === 0)
    return { commands: [], dropped };
  const managers = [...cluster.managers.filter((m) => m.raftId !== me.raftId && !dropped.includes(m)), me];
  const spec = changedPeriod ? { ...cluster.spec, heartbeatPeriodMs: o.heartbeatPeriodMs as number } : cluster.spec;
  return { commands: [updateOf("cluster", cluster, { spec, managers })], dropped };
}
