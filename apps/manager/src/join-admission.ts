import type { Cluster, ClusterSecrets, JoinRequest, Node, NodeCertificate } from "@shoal/api";
import { updateOf, type Command } from "@shoal/store";
import type { LeafRequest } from "@shoal/trust";
import { ManagerError } from "./errors.js";
import { checkJoinToken } from "./join-token.js";

/** A node admitted by its join token: the id the cluster gives it, its role, and the certificate to issue. */
export interface Admission {
  readonly nodeId: string;
  readonly role: "manager" | "worker";
  /** What the agent certificate names (from the cluster and the new id, never from the CSR). */
  readonly request: LeafRequest;
}

/**
 * Admits a joining node (pure): checks its token (constant-time, see `checkJoinToken`) and gives it a new node id.
 * A refused token is SHOAL_ERR_INVALID_TOKEN with the same message whatever made a well-formed token wrong.
 */
export function admitJoin(
  cluster: Pick<Cluster, "id" | "ca">,
  secrets: Pick<ClusterSecrets, "join">,
  token: string,
  newId: () => string,
): Admission {
  const check = checkJoinToken(cluster, secrets, token);
  if (!check.role)
    throw new ManagerError("SHOAL_ERR_INVALID_TOKEN", check.problem, {
      hint: "use a token `shoal cluster join-token worker|manager` shows on a manager of this cluster",
    });
  const nodeId = newId();
  return { nodeId, role: check.role, request: { kind: "agent", clusterId: cluster.id.toLowerCase(), nodeId } };
}

/** What the store records of an issued certificate. */
export function certificateRecord(
  kind: NodeCertificate["kind"],
  issued: { readonly serial: string; readonly notAfter: Date },
  issuerDigest: string,
): NodeCertificate {
  return { kind, serial: issued.serial, notAfter: issued.notAfter.toISOString(), issuerDigest };
}

/**
 * The node object of an admitted node, written in the same Raft write that records its certificates. Its state
 * is `unknown` until its agent registers (the scheduler places tasks on ready nodes only).
 */
export function joinedNodeCommand(
  admission: Pick<Admission, "nodeId" | "role">,
  node: JoinRequest["node"],
  certificates: NodeCertificate[],
): Command {
  const object: Omit<Node, "version" | "createdAt" | "updatedAt"> = {
    id: admission.nodeId,
    spec: { labels: {}, role: admission.role, availability: "active" },
    description: {
      hostname: node?.hostname ?? admission.nodeId,
      platform: node?.platform ?? { os: "linux", architecture: "unknown" },
      resources: node?.resources ?? { cpus: 1, memoryBytes: 1 },
      engine: { version: "", labels: {} },
    },
    status: { state: "unknown", message: "joined; its agent has not registered yet", addr: "" },
    certificates,
  };
  return { op: "create", kind: "node", object };
}

/** Certificates of each kind a node object keeps: the current one and the one before. */
const KEPT_PER_KIND = 2;

/** The update that records a new certificate of a node (keeping the last two of each kind). */
export function withCertificate(node: Node, certificate: NodeCertificate): Command {
  const same = (node.certificates ?? []).filter((c) => c.kind === certificate.kind);
  const others = (node.certificates ?? []).filter((c) => c.kind !== certificate.kind);
  const certificates = [...others, ...same.slice(-(KEPT_PER_KIND - 1)), certificate];
  return updateOf("node", node, { certificates });
}
