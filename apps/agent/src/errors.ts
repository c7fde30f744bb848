import { ShoalError } from "@shoal/common";

/**
 * Typed errors of the agent. Each has a stable `code` and the HTTP `status` the local API answers with;
 * messages start with `agent:` and say what to do.
 */
export abstract class AgentError extends ShoalError {}

/** The managers refused the join token (at join, or when registering with a stored one). */
export class InvalidTokenError extends AgentError {
  readonly code = "SHOAL_ERR_INVALID_TOKEN";
  readonly status = 400;
  constructor(message: string) {
    super(`agent: ${message}`, { hint: "join again with a current token: `shoal cluster join --token <token> <manager>`" });
  }
}

/** The node has not joined a cluster: no stored join state and no `join` option. */
export class NotJoinedError extends AgentError {
  readonly code = "SHOAL_ERR_NOT_JOINED";
  readonly status = 409;
  constructor(dir: string) {
    super(`agent: this node has not joined a cluster (no join.json in ${dir})`, { hint: "start it with a join token and the managers' addresses" });
  }
}

/** Joining failed for another reason than the token (managers unreachable, bad answer). */
export class JoinError extends AgentError {
  readonly code = "SHOAL_ERR_JOIN";
  readonly status = 503;
  constructor(message: string, cause?: unknown) {
    super(`agent: ${message}`, { cause, hint: "check the managers' addresses and that `shoal manager` runs there" });
  }
}

/** A request to the local API that cannot be served (bad body, wrong content type). */
export class BadRequestError extends AgentError {
  readonly code = "SHOAL_ERR_BAD_REQUEST";
  readonly status = 400;
  constructor(message: string, hint?: string) {
    super(`agent: ${message}`, hint === undefined ? undefined : { hint });
  }
}

/** A task could not join its overlay networks (the managers have not described them, or its netns vanished). */
export class OverlayJoinError extends AgentError {
  readonly code = "SHOAL_ERR_OVERLAY_JOIN";
  readonly status = 503;
  constructor(message: string) {
    super(`agent: ${message}`, { hint: "the task is replaced; if this repeats, check the agent's log and `shoal network inspect`" });
  }
}

/** systemd could not take or run one of the node's daemons (no systemctl, a unit that fails, bad arguments). */
export class SystemdError extends AgentError {
  readonly code = "SHOAL_ERR_SYSTEMD";
  readonly status = 500;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { hint, cause });
  }
}
