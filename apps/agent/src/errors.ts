import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";

/**
 * The error codes of the agent (besides the common ones), with the status its local API answers with, the
 * meaning and the remedy. A user meets them in the agent's log, from `shoal cluster init|join`, and in
 * `shoal service ps` for a task that failed to start.
 */
export const AGENT_ERRORS = errorRegistry({
  SHOAL_ERR_NOT_JOINED: {
    status: 409,
    meaning:
      "the agent was started on a node that has not joined a cluster (no join state in its data dir, no join token given)",
    action: "join it with `shoal cluster join --token <token> <manager>`, or start it with the node's own --data-dir",
  },
  SHOAL_ERR_JOIN: {
    status: 503,
    meaning:
      "joining the cluster failed for another reason than the token: no manager answered, or one answered something unexpected",
    action:
      "check the managers' addresses given to `shoal cluster join` and that `shoal manager` runs there, then join again",
  },
  SHOAL_ERR_OVERLAY_JOIN: {
    status: 503,
    meaning:
      "a task could not join its overlay networks: the managers have not described a network to this node yet, or the task's network namespace vanished",
    action:
      "none at first: the task is replaced; if it repeats, read the agent's log and `shoal network inspect NETWORK`",
  },
  SHOAL_ERR_SYSTEMD: {
    status: 500,
    meaning:
      "systemd could not take or run one of the node's daemons: no systemctl, a unit that fails or writes no pid file, or an argument a unit file cannot hold",
    action:
      "install the units with `infra/install.sh` on a host that runs systemd, or run without --systemd; `systemctl status shoal-agent` and `journalctl -u shoal-agent` say why a unit failed",
  },
});

/**
 * Typed errors of the agent. Each has a stable `code` and the HTTP `status` the local API answers with;
 * messages start with `agent:` and say what to do.
 */
export abstract class AgentError extends ShoalError {}

/**
 * The managers refused the join token at join.
 * NB: the common registry gives this code the manager API's 401; this error never reaches an HTTP answer,
 * and its 400 stays written here until someone decides whether to align it.
 */
export class InvalidTokenError extends AgentError {
  readonly code = "SHOAL_ERR_INVALID_TOKEN";
  readonly status = 400;
  constructor(message: string) {
    super(`agent: ${message}`, {
      hint: "join again with a current token: `shoal cluster join --token <token> <manager>`",
    });
  }
}

/** The managers do not know this node (it was removed, or its state is another cluster's): it must join again. */
export class UnknownNodeError extends AgentError {
  readonly code = "SHOAL_ERR_UNKNOWN_NODE";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(message: string) {
    super(`agent: ${message}`, {
      hint: "leave with `shoal cluster leave`, then join again: `shoal cluster join --token <token> <manager>`",
    });
  }
}

/** The node has not joined a cluster: no stored join state and no `join` option. */
export class NotJoinedError extends AgentError {
  readonly code = "SHOAL_ERR_NOT_JOINED";
  readonly status = AGENT_ERRORS[this.code].status;
  constructor(dir: string) {
    super(`agent: this node has not joined a cluster (no join.json in ${dir})`, {
      hint: "start it with a join token and the managers' addresses",
    });
  }
}

/** Joining failed for another reason than the token (managers unreachable, bad answer). */
export class JoinError extends AgentError {
  readonly code = "SHOAL_ERR_JOIN";
  readonly status = AGENT_ERRORS[this.code].status;
  constructor(message: string, cause?: unknown) {
    super(`agent: ${message}`, { cause, hint: "check the managers' addresses and that `shoal manager` runs there" });
  }
}

/** A request to the local API that cannot be served (bad body, wrong content type). */
export class BadRequestError extends AgentError {
  readonly code = "SHOAL_ERR_BAD_REQUEST";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(message: string, hint?: string) {
    super(`agent: ${message}`, hint === undefined ? undefined : { hint });
  }
}

/** A task could not join its overlay networks (the managers have not described them, or its netns vanished). */
export class OverlayJoinError extends AgentError {
  readonly code = "SHOAL_ERR_OVERLAY_JOIN";
  readonly status = AGENT_ERRORS[this.code].status;
  constructor(message: string) {
    super(`agent: ${message}`, {
      hint: "the task is replaced; if this repeats, check the agent's log and `shoal network inspect`",
    });
  }
}

/** systemd could not take or run one of the node's daemons (no systemctl, a unit that fails, bad arguments). */
export class SystemdError extends AgentError {
  readonly code = "SHOAL_ERR_SYSTEMD";
  readonly status = AGENT_ERRORS[this.code].status;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { hint, cause });
  }
}
