import type { RouteAccess } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import { formatIdentity } from "@shoal/trust";
import { ManagerError } from "../errors.js";
import { describeCaller, type Caller } from "./caller.js";

/** What the refusals suggest to a caller without a usable credential. */
const CREDENTIAL_HINT =
  "on a manager node run `shoal` as root (it uses the manager's local socket); elsewhere give a user's bundle: --tls-ca, --tls-cert and --tls-key, or SHOAL_CERT_PATH=DIR (the admin bundle `shoal cluster init` wrote in <data-dir>/admin, or one from `shoal cluster user create`)";

/** What a refusal of a dashboard session suggests. */
const SIGN_IN_HINT =
  "sign in again with your access token: the file <data-dir>/admin/access-token on the first manager (root's), or the one `shoal cluster user create` wrote";

/** What each access asks for, completing "only ... may call it". */
const WHO: Record<RouteAccess, string> = {
  public: "anyone",
  read: "users, managers and root on a manager node",
  admin: "admin users and root on a manager node",
  self: "a node's own certificate",
  manager: "a manager node's manager certificate",
};

/**
 * Decides whether `caller` may call a route of access `access` (docs/design/trust.md §4.6), reading who the
 * caller is in the store now: a user must still exist and (when it presents its certificate itself) hold that
 * certificate, a node must still exist, and a manager certificate counts only while its node's role is manager.
 * Throws 401 SHOAL_ERR_UNAUTHENTICATED without a credential or for one the store no longer knows, and 403
 * SHOAL_ERR_FORBIDDEN for a known caller whose role may not call the route. Pure.
 */
export function authorize(caller: Caller, access: RouteAccess, state: StoreState, what: string): void {
  if (access === "public") return;
  const forbidden = (why: string, hint: string) =>
    new ManagerError(
      "SHOAL_ERR_FORBIDDEN",
      `${describeCaller(caller)} may not ${what}: ${why}; only ${WHO[access]} may call it`,
      { hint },
    );
  switch (caller.kind) {
    case "anonymous":
      if (caller.endedSession !== undefined)
        throw new ManagerError("SHOAL_ERR_UNAUTHENTICATED", `api: the dashboard session ${caller.endedSession}`, {
          hint: SIGN_IN_HINT,
        });
      throw new ManagerError(
        "SHOAL_ERR_UNAUTHENTICATED",
        `${what} needs a credential, and none was presented (only ${WHO[access]} may call it)`,
        { hint: CREDENTIAL_HINT },
      );
    case "local":
      if (access === "read" || access === "admin") return;
      throw forbidden("root on a node acts as an admin user, not as the node", "call it with the node's certificate");
    case "session":
    case "certificate":
      break;
  }
  const id = caller.identity;
  if (id.kind === "user") {
    const user = state.get("user", id.userId);
    if (!user)
      throw new ManagerError("SHOAL_ERR_UNAUTHENTICATED", `the cluster has no user ${id.userId} (it was removed)`, {
        hint: "ask an admin for a new bundle: `shoal cluster user create NAME --role admin|read-only`",
      });
    if (
      caller.kind === "certificate" &&
      caller.forwardedBy === undefined &&
      !user.certificates.some((c) => c.serial === caller.certificate.serialNumber)
    )
      throw new ManagerError(
        "SHOAL_ERR_UNAUTHENTICATED",
        `the certificate of user ${user.spec.name} (serial ${caller.certificate.serialNumber}) is no longer one of the user's`,
        { hint: "use the user's current bundle, or ask an admin for a new one" },
      );
    if (access === "read" || (access === "admin" && user.spec.role === "admin")) return;
    throw forbidden(
      access === "admin" ? `user ${user.spec.name} is ${user.spec.role}` : "it is a user, not a node",
      access === "admin" ? "ask an admin to do it, or for an admin bundle" : "call it with the node's certificate",
    );
  }
  const node = state.get("node", id.nodeId);
  if (!node)
    throw new ManagerError(
      "SHOAL_ERR_UNAUTHENTICATED",
      `${formatIdentity(id)} names node ${id.nodeId}, which the cluster no longer has (it was removed)`,
      { hint: "join the node again: `shoal cluster leave`, then `shoal cluster join`" },
    );
  if (access === "self") return;
  const manager = id.kind === "manager" && node.spec.role === "manager";
  if (manager && (access === "read" || access === "manager")) return;
  throw forbidden(
    id.kind === "agent"
      ? "an agent certificate calls only its own node's routes"
      : node.spec.role !== "manager"
        ? `node ${id.nodeId} is no longer a manager`
        : "a manager certificate does not act as an admin",
    "call it as a user (see `shoal cluster user create`) or as root on a manager node",
  );
}
