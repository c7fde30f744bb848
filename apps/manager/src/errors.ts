import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";
import { RAFT_ERRORS } from "@shoal/raft";
import type { ChainRefusalReason } from "@shoal/trust";

/** The error codes the manager raises (besides the common ones), with their status, meaning and remedy. */
export const MANAGER_ERRORS = errorRegistry({
  SHOAL_ERR_AMBIGUOUS: {
    status: 400,
    meaning: "a short id or name matches more than one object",
    action: "use more characters of the id, or the full name",
  },
  SHOAL_ERR_NOT_READY: {
    status: 503,
    meaning: "the manager has not finished starting (no cluster object yet)",
    action: "retry in a second",
  },
  SHOAL_ERR_PORT_IN_USE: {
    status: 409,
    meaning: "a published port is taken by another service, or the dynamic range 30000-32767 is full",
    action: "publish another port, or remove it from the service that holds it",
  },
  SHOAL_ERR_NO_PREVIOUS_SPEC: {
    status: 400,
    meaning: "a rollback was asked for a service that was never updated",
    action: "a rollback returns to the spec before the last `service update`",
  },
  SHOAL_ERR_NODE_IS_MANAGER: {
    status: 409,
    meaning: "a manager node cannot be removed as it is",
    action: "demote it first (`shoal node demote`), or remove it with --force",
  },
  SHOAL_ERR_NODE_READY: {
    status: 409,
    meaning: "the node's agent is still connected, so removing it would strand its tasks",
    action: "drain it and stop its agent (`shoal cluster leave` on it), or remove it with --force",
  },
  SHOAL_ERR_NO_LOGS: {
    status: 409,
    meaning: "the task never reached a node, so it has no logs",
    action: "see why it waits with `shoal service ps`",
  },
  SHOAL_ERR_MANAGER_EXISTS: {
    status: 409,
    meaning: "a voting manager at that address is already a member",
    action: "remove the old manager first (`shoal node demote` / `shoal node rm --force`), then join again",
  },
  SHOAL_ERR_QUORUM: {
    status: 409,
    meaning: "the change would leave the managers without a reachable majority",
    action: "bring back or add managers first, or force it knowing the cluster may stop accepting writes",
  },
  SHOAL_ERR_NO_LEADER: {
    status: 503,
    meaning: "no manager leads right now (an election is under way)",
    action: "retry in a second; `shoal cluster status` shows the managers",
  },
  SHOAL_ERR_LEADER_LOST: {
    status: 502,
    meaning: "the manager a write was forwarded to stopped leading or could not be reached",
    action: "retry: the client follows the new leader",
  },
  SHOAL_ERR_NO_ROUTE: {
    status: 404,
    meaning: "no API route has that method and path",
    action: "see the API's routes at /docs (Swagger UI) or /openapi.json",
  },
  SHOAL_ERR_FORBIDDEN: {
    status: 403,
    meaning:
      "the caller is known but its role may not call that route (a read-only user on a write, an agent certificate on anything but its own node's routes, a worker asking for a manager certificate, a demoted manager), or a request with the dashboard's session cookie did not come from the dashboard's own page (wrong Host or Origin)",
    action:
      "call it with the credentials the message names: an admin's bundle, root on a manager node, or the node's own certificate (for a manager: promote the node first); use the dashboard at an address the manager's certificate names",
  },
  SHOAL_ERR_UNAUTHENTICATED: {
    status: 401,
    meaning:
      "the API has no credential it accepts from the caller: none was presented; the client certificate has expired or is not yet valid, the cluster's CA did not issue it, it is a CA certificate or not for client use, or it names no Shoal identity, another cluster's, a node or user the cluster no longer has (removed) or a user certificate the store no longer lists; the dashboard's session cookie expired or ended; or a sign-in's access token is no user's. The message says which",
    action:
      "on a manager node run `shoal` as root (the local socket); elsewhere present a certificate this cluster issued and that is still valid (a user's bundle: SHOAL_CERT_PATH, --tls-cert/--tls-key; or the node's certificates); check the clocks; an expired node certificate renews by itself, else join the node again. In the dashboard, sign in again with an access token (<data-dir>/admin/access-token on the first manager, or the file `shoal cluster user create` wrote)",
  },
  SHOAL_ERR_LAST_ADMIN: {
    status: 409,
    meaning:
      "the user is the cluster's last admin user: removing it would leave nobody who can administer the cluster from another machine (only root on a manager node, through its local socket)",
    action: "create another admin user first (`shoal cluster user create NAME --role admin`), then remove this one",
  },
  SHOAL_ERR_RATE_LIMITED: {
    status: 429,
    meaning: "too many failed dashboard sign-ins came from the caller's address (10 a minute at most)",
    action: "wait the seconds the hint and the Retry-After header name, then sign in with the right access token",
  },
  SHOAL_ERR_SESSION: {
    status: 409,
    meaning: "an agent's message names a session the leader does not know (it restarted or another took over)",
    action: "none: the agent registers again by itself",
  },
  SHOAL_ERR_LOCKED: {
    status: 503,
    meaning:
      "the manager is locked (autolock): its data key is wrapped with the cluster's unlock key, so it serves nothing but `POST /v1/unlock` on its local socket until it is given that key",
    action:
      "run `shoal cluster unlock` as root on that manager's node, with the unlock key the manager names (or any other manager answers meanwhile)",
  },
  SHOAL_ERR_BAD_UNLOCK_KEY: {
    status: 401,
    meaning:
      "the unlock key given does not open this manager's data key: the manager stays locked; the message names the id of the key it was locked with",
    action:
      "give the unlock key with that id: the one in use when this manager last ran (a manager that was down during `shoal cluster unlock-key --rotate` still needs the previous key)",
  },
  SHOAL_ERR_NOT_LOCKED: {
    status: 409,
    meaning: "an unlock was asked of a manager that is not locked",
    action: "none: the manager already serves",
  },
  SHOAL_ERR_AUTOLOCK_ON: {
    status: 409,
    meaning: "autolock was asked to be turned on, but it is on already (the message names the current unlock key's id)",
    action: "to replace the unlock key use `shoal cluster unlock-key --rotate`",
  },
  SHOAL_ERR_AUTOLOCK_OFF: {
    status: 409,
    meaning: "an unlock key rotation was asked while autolock is off, so there is no unlock key to replace",
    action: "turn autolock on with `shoal cluster update --autolock=true`",
  },
  SHOAL_ERR_MANAGER_START: {
    status: 500,
    meaning: "the manager cannot start from its data dir as it is",
    action: "read the message: it says whether to init, join, or use another data dir",
  },
});

/** The codes of lower packages the manager raises itself, as they mean the same there (no quorum: Raft's). */
const BORROWED = { SHOAL_ERR_NO_QUORUM: RAFT_ERRORS.SHOAL_ERR_NO_QUORUM } as const;

/** A code the manager may raise: its own, a common one, or one it borrows. */
export type ManagerErrorCode = keyof typeof MANAGER_ERRORS | keyof typeof COMMON_ERRORS | keyof typeof BORROWED;

const statusOf = (code: ManagerErrorCode): number =>
  (code in MANAGER_ERRORS
    ? MANAGER_ERRORS[code as keyof typeof MANAGER_ERRORS]
    : code in BORROWED
      ? BORROWED[code as keyof typeof BORROWED]
      : COMMON_ERRORS[code as keyof typeof COMMON_ERRORS]
  ).status;

/** An error the manager raises: its status comes from the registry above, so no call site picks one. */
export class ManagerError extends ShoalError {
  readonly status: number;

  constructor(
    readonly code: ManagerErrorCode,
    message: string,
    options?: { hint?: string | undefined; cause?: unknown },
  ) {
    super(message, {
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
      ...(options?.hint === undefined ? {} : { hint: options.hint }),
    });
    this.status = statusOf(code);
  }
}

/** The manager cannot start from its data dir as it is (no cluster, removed, nothing to recover). */
export class ManagerStartError extends ManagerError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super("SHOAL_ERR_MANAGER_START", message, options);
  }
}

/** Why the API refused a client certificate: the chain check's reason, or a certificate it could not read. */
export type CallerRefusalReason = ChainRefusalReason | "unreadable";

/**
 * The API refused the caller's client certificate (401 SHOAL_ERR_UNAUTHENTICATED); `reason` says why. Decide from
 * `reason`, not from the message.
 */
export class UnauthenticatedError extends ManagerError {
  constructor(
    readonly reason: CallerRefusalReason,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super("SHOAL_ERR_UNAUTHENTICATED", message, options);
  }
}
