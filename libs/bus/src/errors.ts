import { errorRegistry } from "@shoal/common";

/**
 * The error codes of the manager-agent bus, with their meaning and remedy. No API answers with them (status
 * null): the dispatcher replies BUS_PROTOCOL to an agent over the bus, and a timeout or a missing responder
 * that reaches the manager's API arrives there as SHOAL_ERR_INTERNAL with the bus's message.
 */
export const BUS_ERRORS = errorRegistry({
  SHOAL_ERR_BUS_TIMEOUT: {
    status: null,
    meaning:
      "no reply came over the manager-agent bus (NATS) in time: the manager or agent that should answer is slow, down, or cut off",
    action:
      "check that the node's agent runs and shows ready in `shoal node ls`, and that the managers are up (`shoal cluster status`); then retry",
  },
  SHOAL_ERR_BUS_NO_RESPONDERS: {
    status: null,
    meaning:
      "nobody listens on the bus subject of the request: the node's agent is not connected, or no manager's dispatcher runs",
    action:
      "start the node's agent (`systemctl start shoal-agent`, or `shoal cluster join` again), check `shoal node ls`, then retry",
  },
  SHOAL_ERR_BUS_PERMISSION: {
    status: null,
    meaning:
      "the managers' bus server refused a publish or subscription outside the connection's permissions: an agent may use only its own node's subjects",
    action:
      "run the same Shoal version on every manager and agent; a node that was removed must join again; if neither, report it with the agent's log",
  },
  SHOAL_ERR_BUS_PROTOCOL: {
    status: null,
    meaning: "a message on the manager-agent bus is not JSON or does not match its schema, so its receiver refused it",
    action: "run the same Shoal version on every manager and agent; if they match, report it with both logs",
  },
});

/** A request got no reply on `subject` within its timeout. */
export class BusTimeoutError extends Error {
  readonly code = "SHOAL_ERR_BUS_TIMEOUT";
  constructor(
    readonly subject: string,
    timeoutMs: number,
  ) {
    super(`bus: no reply on ${subject} within ${timeoutMs} ms`);
    this.name = "BusTimeoutError";
  }
}

/** A request found nobody subscribed to `subject`. */
export class BusNoRespondersError extends Error {
  readonly code = "SHOAL_ERR_BUS_NO_RESPONDERS";
  constructor(readonly subject: string) {
    super(`bus: nobody answers on ${subject}`);
    this.name = "BusNoRespondersError";
  }
}

/** A message that is not valid JSON or does not match its schema; `issues` names the fields. */
export class BusProtocolError extends Error {
  readonly code = "SHOAL_ERR_BUS_PROTOCOL";
  constructor(
    readonly subject: string,
    message: string,
  ) {
    super(`bus: bad message on ${subject}: ${message}`);
    this.name = "BusProtocolError";
  }
}

/**
 * The bus server refused a publish or subscription outside the connection's permissions (each node's agent may use
 * only its own node's subjects, see permissions.ts). The message is dropped; the connection stays up.
 */
export class BusPermissionError extends Error {
  readonly code = "SHOAL_ERR_BUS_PERMISSION";
  constructor(
    readonly operation: "publish" | "subscribe",
    readonly subject: string,
  ) {
    super(
      `bus: the server refused to let this connection ${operation} ${operation === "publish" ? "to" : "on"} ${subject}`,
    );
    this.name = "BusPermissionError";
  }
}
