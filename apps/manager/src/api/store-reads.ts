import type { Cluster, ClusterSecrets } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import { ManagerError } from "../errors.js";
import type { ApiContext } from "./handlers.js";

/** The store as this request reads it: after a read barrier unless the request asked for `stale=true`. */
export const readState = (ctx: ApiContext): Promise<StoreState> => ctx.store.read(ctx.readOptions);

/** The cluster object, or 503 SHOAL_ERR_NOT_READY while the store has none yet. */
export function clusterOf(state: StoreState): Cluster {
  const c = state.cluster();
  if (!c)
    throw new ManagerError("SHOAL_ERR_NOT_READY", "the cluster is not initialized yet", { hint: "retry in a second" });
  return c;
}

/** The cluster's secrets (internal kind `secret`), or 503 SHOAL_ERR_NOT_READY while the store has none yet. */
export function secretsOf(state: StoreState): ClusterSecrets {
  const s = state.secrets();
  if (!s)
    throw new ManagerError("SHOAL_ERR_NOT_READY", "the cluster is not initialized yet", { hint: "retry in a second" });
  return s;
}
