// The module object rather than named imports, so that a test can spy on the comparisons.
import crypto from "node:crypto";
import type { Cluster } from "@shoal/api";

/** SHA-256 of a token: a fixed length, so that `timingSafeEqual` can compare any two tokens. */
function tokenDigest(token: string): Buffer {
  return crypto.createHash("sha256").update(token, "utf8").digest();
}

/**
 * The role a join token admits a node to on this cluster, or undefined when it is none of the cluster's tokens.
 * Constant-time: the token's digest is compared with both tokens' digests every time, whatever it matches, so
 * the answer's timing tells neither how much of a token was right nor which token was tried.
 */
export function roleOfToken(cluster: Pick<Cluster, "joinTokens">, token: string): "manager" | "worker" | undefined {
  const digest = tokenDigest(token);
  const isManager = crypto.timingSafeEqual(digest, tokenDigest(cluster.joinTokens.manager));
  const isWorker = crypto.timingSafeEqual(digest, tokenDigest(cluster.joinTokens.worker));
  if (isManager) return "manager";
  return isWorker ? "worker" : undefined;
}
