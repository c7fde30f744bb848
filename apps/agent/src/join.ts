import { ApiError, ShoalClient, type JoinInfo } from "@shoal/api";
import { InvalidTokenError, JoinError } from "./errors.js";

/** Exchanges a join token for what the node needs to connect (POST /v1/cluster/join on the managers' API). */
export async function joinCluster(
  managers: readonly string[],
  token: string,
  fetchImpl?: typeof fetch,
): Promise<JoinInfo> {
  const client = new ShoalClient({ managers, timeoutMs: 10_000, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  try {
    return await client.call("clusterJoin", { body: { token } });
  } catch (e) {
    if (e instanceof ApiError && e.code === "SHOAL_ERR_INVALID_TOKEN") throw new InvalidTokenError(e.message);
    throw new JoinError(`cannot join the cluster through ${managers.join(", ")}: ${(e as Error).message}`, e);
  }
}
