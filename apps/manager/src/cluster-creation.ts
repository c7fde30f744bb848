import type { JoinInfo } from "@shoal/api";
import {
  accessTokenHash,
  certificatePaths,
  DEFAULT_USER_CERT_EXPIRY_MS,
  formatDigest,
  newAccessToken,
  rootDigest,
  writeAdminBundle,
} from "@shoal/trust";
import { newId, newSecret } from "./ids.js";
import { certificateRecord, joinedNodeCommand } from "./join-admission.js";
import { newStoredJoinSecret } from "./join-token.js";
import {
  chainPem,
  issueWithNewKey,
  localDescription,
  writeFirstNodeFiles,
  type ManagerTls,
} from "./manager-certificates.js";
import { bootstrapCluster, type ManagerEntry } from "./model/bootstrap.js";
import { newUserCommand } from "./model/users.js";
import type { Identity } from "./state-dir.js";
import type { ClusterStore } from "./store/cluster-store.js";

/** The name of the admin user `cluster init` makes. */
export const ROOT_USER = "root";

/**
 * Creates a new cluster on its first manager (the leader of a one-member Raft): the root CA, the cluster and
 * its secrets, the manager's own node with its agent and manager certificates, and the admin user `root` with
 * a certificate and a dashboard access token, in one Raft write; then the node's files (trust bundle, both
 * certificates and keys, the agent's join state), so the node's agent starts without joining, and root's admin
 * bundle in `<dataDir>/admin` (0700, files 0600: ca.pem, cert.pem, key.pem, access-token). Resolves with what
 * the API serves.
 */
export async function createCluster(
  dataDir: string,
  store: ClusterStore,
  o: {
    identity: Identity & { nodeId?: string };
    me: ManagerEntry;
    heartbeatPeriodMs?: number | undefined;
    advertise: string;
  },
): Promise<ManagerTls> {
  const clusterId = o.identity.clusterId.toLowerCase();
  const nodeId = o.identity.nodeId ?? newId();
  // The CA's certificate maker is loaded only here, where a cluster is made.
  const { createRootCa } = await import("@shoal/trust/pki");
  const now = new Date();
  const root = await createRootCa({ clusterId, now });
  const signer = { ...root, chain: [] };
  const digest = formatDigest(rootDigest(root.cert));
  const agent = await issueWithNewKey(signer, { kind: "agent", clusterId, nodeId }, now);
  const manager = await issueWithNewKey(signer, { kind: "manager", clusterId, nodeId, addresses: [o.advertise] }, now);
  const userId = newId();
  const admin = await issueWithNewKey(
    signer,
    { kind: "user", clusterId, userId, name: ROOT_USER },
    now,
    DEFAULT_USER_CERT_EXPIRY_MS,
  );
  const accessToken = newAccessToken();
  await store.write([
    ...bootstrapCluster({
      clusterId: o.identity.clusterId,
      me: o.me,
      heartbeatPeriodMs: o.heartbeatPeriodMs,
      ca: { ...root, digest },
      newId: () => newId(),
      newSecret,
      newJoinSecret: newStoredJoinSecret,
    }),
    joinedNodeCommand({ nodeId, role: "manager" }, localDescription(), [
      certificateRecord("agent", agent.issued, digest),
      certificateRecord("manager", manager.issued, digest),
    ]),
    newUserCommand(userId, { name: ROOT_USER, role: "admin" }, admin.issued, accessTokenHash(accessToken)),
  ]);
  const join: JoinInfo = {
    clusterId,
    nodeId,
    role: "manager",
    certificate: chainPem(agent),
    trust: root.cert,
    natsUrls: [o.me.natsUrl],
    managers: [o.me.apiAddr],
    time: now.toISOString(),
  };
  await writeFirstNodeFiles(dataDir, { roots: [root.cert], agent, manager, join });
  await writeAdminBundle(certificatePaths(dataDir).admin, {
    roots: [root.cert],
    chain: admin.issued.chain,
    key: admin.key,
    accessToken,
  });
  return { chain: [...manager.issued.chain], key: manager.key, trust: [root.cert] };
}
