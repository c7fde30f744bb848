import type { StoreState } from "@shoal/store";
import { formatIdentity } from "@shoal/trust";
import { ManagerError } from "../errors.js";
import type { ApiContext } from "./handlers.js";

/**
 * The node calling a route that only a node's own certificate may call (§4.6, `self` and `manager` routes): its
 * id, once its certificate names a node the store has. `need.role`: the node must have the role manager now (a
 * worker, or a manager demoted since, is refused); `need.certificate`: the caller must present the node's manager
 * certificate, not its agent one. 401 without a certificate or for a removed node, 403 for another identity.
 */
export function callingNode(
  ctx: Pick<ApiContext, "caller">,
  state: StoreState,
  need: { role?: "manager"; certificate?: "manager" },
  what: string,
): string {
  const caller = ctx.caller;
  if (!caller || caller.kind !== "certificate")
    throw new ManagerError(
      "SHOAL_ERR_UNAUTHENTICATED",
      `only a node of the cluster may ${what}: no client certificate was presented`,
      {
        hint: "call it with the node's certificate (<dataDir>/certificates/agent.crt and agent.key)",
      },
    );
  const id = caller.identity;
  if (id.kind === "user")
    throw new ManagerError("SHOAL_ERR_FORBIDDEN", `${formatIdentity(id)} is a user, and only a node may ${what}`, {
      hint: "call it with the node's certificate",
    });
  const node = state.get("node", id.nodeId);
  if (!node)
    throw new ManagerError("SHOAL_ERR_UNAUTHENTICATED", `the cluster has no node ${id.nodeId} (it was removed)`, {
      hint: "join the node again: `shoal cluster leave`, then `shoal cluster join`",
    });
  if (need.certificate === "manager" && id.kind !== "manager")
    throw new ManagerError(
      "SHOAL_ERR_FORBIDDEN",
      `${formatIdentity(id)} is an agent: only a manager certificate may ${what}`,
      {
        hint: "the node's manager gets its manager certificate first (POST /v1/nodes/self/certificate)",
      },
    );
  if (need.role === "manager" && node.spec.role !== "manager")
    throw new ManagerError("SHOAL_ERR_FORBIDDEN", `node ${id.nodeId} is a worker: only a manager node may ${what}`, {
      hint: "promote it first: `shoal node promote " + id.nodeId + "`",
    });
  return id.nodeId;
}
