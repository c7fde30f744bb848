import type { AuthorizeIdentity, RaftNode, SocketFactory } from "@shoal/raft";
import type { StoreState } from "@shoal/store";
import { tlsSockets } from "@shoal/trust";
import type { Logger } from "./log.js";
import { selfIssuedTls, type ManagerTls } from "./manager-certificates.js";

/**
 * Raft between managers over mutual TLS (docs/design/trust.md §4.7, "Raft (7071)"): the transport's sockets
 * present this manager's certificate and require a manager certificate of the cluster both ways, the membership
 * says which node each Raft id must be, and the store says whether that node may take part now.
 */
export interface ManagerRaftTls {
  /** The transport options of the manager's Raft node. */
  readonly transport: { readonly sockets: SocketFactory; readonly authorize: AuthorizeIdentity };
  /** Connections made from now on, either way, use `tls` (a new certificate, a new trust bundle). */
  update(tls: ManagerTls): void;
}

/**
 * Why the store does not let node `nodeId` take part in Raft, or undefined: it must exist and be a manager.
 * A store that holds no cluster yet (a manager that joined and has not caught up) has no say: the membership its
 * join answer gave it, which the identity check enforces, is all it knows.
 */
export function raftPeerRefusal(state: StoreState, nodeId: string): string | undefined {
  if (!state.cluster()) return undefined;
  const node = state.get("node", nodeId);
  if (!node) return `the cluster has no node ${nodeId} (it was removed)`;
  if (node.spec.role !== "manager") return `node ${nodeId} is a worker, not a manager`;
  return undefined;
}

/**
 * The manager's Raft sockets: its manager certificate (`material`; undefined until it has one, as on `cluster
 * init` before the cluster's CA exists: nothing connects until {@link ManagerRaftTls.update}), and the check of
 * each peer against `state`. Refusals are logged with their reason.
 */
export function managerRaftTls(o: {
  clusterId: string;
  material: ManagerTls | undefined;
  state: StoreState;
  log: Pick<Logger, "warn">;
}): ManagerRaftTls {
  const sockets = tlsSockets({
    clusterId: o.clusterId,
    material: o.material,
    onRefused: (reason, remote) =>
      o.log.warn("raft: refused a connection in its TLS handshake", { reason, remote, component: "raft" }),
  });
  return {
    transport: { sockets, authorize: (nodeId) => raftPeerRefusal(o.state, nodeId) },
    update: (tls) => sockets.update(tls),
  };
}

/**
 * A restarted manager whose certificate is missing or (nearly) expired issues itself one from the CA in its own
 * log before it talks to its peers, which would refuse an expired certificate (so it could never hear a leader
 * and read the store through one): it waits until its Raft node applied what it had committed before the
 * restart, then signs with the store's CA. Undefined when its own log holds no cluster secrets.
 */
export async function renewFromOwnLog(
  raft: Pick<RaftNode, "status">,
  state: StoreState,
  dataDir: string,
  o: { clusterId: string; nodeId: string; advertise: string; timeoutMs?: number },
): Promise<ManagerTls | undefined> {
  const committed = raft.status().commit;
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  while (raft.status().applied < committed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const secrets = state.secrets();
  if (!secrets) return undefined;
  return selfIssuedTls(dataDir, secrets, {
    kind: "manager",
    clusterId: o.clusterId,
    nodeId: o.nodeId,
    addresses: [o.advertise],
  });
}
