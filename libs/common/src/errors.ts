/**
 * The base of Shoal's typed errors. Each has a stable `code` (`SHOAL_ERR_*`), the HTTP `status` an API
 * answers with, `temporary` when the same call may succeed later, and an optional `hint` saying what to do.
 * Decide what to do from the class and these fields, never from the message. Each package derives its own
 * abstract base (RaftError, StoreError, RuntimeError, ...) from this one, so `instanceof ShoalError` is how an
 * API layer maps any of them to a response.
 */
export abstract class ShoalError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly temporary: boolean = false;
  readonly hint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** What one error code means to a user: the HTTP status an API answers with, the meaning, and what to do. */
export interface ErrorDoc {
  /** The HTTP status; null for a code no API answers with (the CLI's own, the bus's, the test tools'). */
  readonly status: number | null;
  /** What happened, in a sentence ("the named object does not exist"). */
  readonly meaning: string;
  /** What the user should do about it. */
  readonly action: string;
}

/** A package's error registry: every `SHOAL_ERR_*` code the package raises, with its {@link ErrorDoc}. */
export type ErrorRegistry = Readonly<Record<`SHOAL_ERR_${string}`, ErrorDoc>>;

/** Declares a package's error registry (checks its shape, keeps its literal codes as keys). */
export function errorRegistry<const R extends ErrorRegistry>(registry: R): R {
  return registry;
}

/**
 * The codes every package may raise, because they mean the same wherever they come from. Codes that belong to
 * one area (Raft, the runtime, the manager, ...) live in that package's own `errors.ts`.
 */
export const COMMON_ERRORS = errorRegistry({
  SHOAL_ERR_NOT_FOUND: {
    status: 404,
    meaning: "the named object (service, task, node, network, image, container) does not exist",
    action: "check the name or id; the matching `ls` command lists what exists",
  },
  SHOAL_ERR_ALREADY_EXISTS: {
    status: 409,
    meaning: "an object with that name or id exists already",
    action: "pick another name, or remove the existing object first",
  },
  SHOAL_ERR_IN_USE: {
    status: 409,
    meaning: "the object is still used by others (a network by services, an image by containers)",
    action: "remove or change its users first; the message names them",
  },
  SHOAL_ERR_CONFLICT: {
    status: 409,
    meaning: "the request contradicts the cluster's current state",
    action: "read the message: it names the object in the way and how to get it out of the way",
  },
  SHOAL_ERR_INVALID_ARGUMENT: {
    status: 400,
    meaning: "a field of the request is wrong",
    action: "fix the field the message names (the issues list each wrong field)",
  },
  SHOAL_ERR_BAD_REQUEST: {
    status: 400,
    meaning: "the request could not be read at all (not JSON, wrong content type)",
    action: "send a JSON body with content-type application/json",
  },
  SHOAL_ERR_INTERNAL: {
    status: 500,
    meaning: "an unexpected failure inside Shoal",
    action: "retry; if it persists, report it with the daemon's log lines around the time",
  },
  SHOAL_ERR_UNAVAILABLE: {
    status: 503,
    meaning: "a part Shoal needs is not reachable right now",
    action: "retry in a few seconds; the message says which part",
  },
  SHOAL_ERR_INVALID_TOKEN: {
    status: 401,
    meaning:
      "the join token is not valid for this cluster, or not for the role asked (the managers refused it at join)",
    action:
      "use a join token `shoal cluster init` printed on this cluster: the worker token to join a worker, the manager token to join a manager",
  },
  SHOAL_ERR_UNKNOWN_NODE: {
    status: 404,
    meaning:
      "an agent registered as a node the cluster does not have: the node was removed (`shoal node rm`), or its state belongs to another cluster",
    action: "on that node, run `shoal cluster leave`, then join again with `shoal cluster join`",
  },
  SHOAL_ERR_INVALID_SPEC: {
    status: 400,
    meaning:
      "a node refused a field of a container or network spec (the runtime or the overlay checks it again); the message names the field and what is allowed",
    action: "fix that field of the service or network spec and update it",
  },
  SHOAL_ERR_TIMEOUT: {
    status: 504,
    meaning:
      "something did not finish in time: a write or read barrier on the managers, a request to a manager or to the local agent, or a daemon started by `shoal cluster init|join` that did not become ready. For a write, whether it was applied is unknown",
    action:
      "check with an `inspect` or `ls` command whether a write was applied, then retry; for a daemon, read the log lines the message prints",
  },
  SHOAL_ERR_WAIT_TIMEOUT: {
    status: 504,
    meaning:
      "a test, benchmark or the e2e harness gave up waiting for another process's state (a daemon ready, a cluster converged); the message names what it waited for and the last error seen",
    action:
      "look at that process (its log, `shoal cluster status`); if it is only slow, give the wait a longer timeout",
  },
});
