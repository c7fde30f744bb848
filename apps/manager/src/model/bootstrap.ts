import {
  CLUSTER_SECRETS_ID,
  ClusterSpecSchema,
  DEFAULT_NETWORK,
  INGRESS_NETWORK,
  NetworkSpecSchema,
  type Cluster,
  type ClusterSecrets,
} from "@shoal/api";
import { updateOf, type Command } from "@shoal/store";

/** Where a manager serves, as the cluster object lists it. */
export type ManagerEntry = Cluster["managers"][number];

/**
 * The commands that create a new cluster on its first manager: the cluster object (spec, the root's digest,
 * the manager itself), the cluster's secrets (the CA, both join secrets, the bus's route secret; an internal object),
 * the routing mesh's `ingress` network, and the `default` network that services naming none join. Pure: the
 * CA, ids and secrets come from the caller.
 */
export function bootstrapCluster(o: {
  clusterId: string;
  me: ManagerEntry;
  heartbeatPeriodMs?: number | undefined;
  /** The new root CA (PEM certificate and key) and its digest as join tokens show it. */
  ca: { cert: string; key: string; digest: string };
  newId: () => string;
  newSecret: (length: number) => string;
  newJoinSecret: () => string;
}): Command[] {
  const spec = ClusterSpecSchema.parse(o.heartbeatPeriodMs ? { heartbeatPeriodMs: o.heartbeatPeriodMs } : {});
  const cluster: Omit<Cluster, "version" | "createdAt" | "updatedAt"> = {
    id: o.clusterId.toLowerCase(),
    spec,
    ca: { rootDigests: [o.ca.digest] },
    managers: [o.me],
    lastRaftId: o.me.raftId,
  };
  const secrets: Omit<ClusterSecrets, "version" | "createdAt" | "updatedAt"> = {
    id: CLUSTER_SECRETS_ID,
    ca: { roots: [o.ca.cert], signer: { cert: o.ca.cert, key: o.ca.key, chain: [] } },
    join: { worker: o.newJoinSecret(), manager: o.newJoinSecret() },
    routeSecret: o.newSecret(40),
  };
  return [
    { op: "create", kind: "cluster", object: cluster },
    { op: "create", kind: "secret", object: secrets },
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
