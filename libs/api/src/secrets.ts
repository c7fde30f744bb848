import { z } from "zod";
import { MetaSchema } from "./common.js";

/** The id of the one {@link ClusterSecrets} object. */
export const CLUSTER_SECRETS_ID = "cluster";

/**
 * The cluster's secrets: one internal store object (kind `secret`, id {@link CLUSTER_SECRETS_ID}) that no route,
 * event or bus message carries as it is. It lives only in the Raft log and snapshots, which are encrypted at
 * rest. Join tokens are made from it (the root's digest and a role's secret) by the admin route that shows them.
 */
export const ClusterSecretsSchema = MetaSchema.extend({
  ca: z.object({
    /** The trust bundle: the roots every certificate of the cluster chains to (PEM). */
    roots: z.array(z.string()).min(1),
    /** What signs the cluster's certificates: a CA certificate, its key (PKCS#8 PEM) and its chain to a root. */
    signer: z.object({ cert: z.string(), key: z.string(), chain: z.array(z.string()) }),
  }),
  /** Each role's join secret, base 36; a rotation replaces one and the old token is refused at once. */
  join: z.object({ worker: z.string(), manager: z.string() }),
  /**
   * The password of the routes between the managers' bus servers (nats-server `cluster.authorization`): only
   * managers hold it, and it changes whenever a manager leaves, so a demoted manager's routes are refused.
   */
  routeSecret: z.string().min(1),
});
export type ClusterSecrets = z.infer<typeof ClusterSecretsSchema>;
