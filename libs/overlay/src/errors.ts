import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";

/**
 * The error codes of a node's networking (besides the common ones), with their status, meaning and remedy. The
 * agent raises them while it attaches tasks, so a user mostly meets them in `shoal service ps` and its log.
 */
export const OVERLAY_ERRORS = errorRegistry({
  SHOAL_ERR_ADDRESSES_EXHAUSTED: {
    status: 503,
    meaning: "every usable address of a network's subnet is handed out",
    action:
      "remove services or scale them down on that network, or create a network with a larger subnet and move services to it",
  },
  SHOAL_ERR_NETWORK_STATE: {
    status: 500,
    meaning:
      "a node's network state file cannot be read or written, is not JSON, is of another version, or was written for another subnet",
    action:
      "restore the file the message names, or detach the node's tasks and remove it; tear a network down before changing its subnet",
  },
  SHOAL_ERR_NETWORK_COMMAND: {
    status: 500,
    meaning:
      "a system command the node's networking runs (`ip`, `nft`, `sysctl`) failed; the message quotes the command and its output",
    action:
      "fix what the output names (a missing tool, a name already taken); `infra/install.sh` installs iproute2 and nftables",
  },
  SHOAL_ERR_NETWORK_NOT_READY: {
    status: 503,
    meaning: "a task was attached before the node's network bridge was set up",
    action: "retry: the agent sets the network up first; if it repeats, read the agent's log for the setup failure",
  },
  SHOAL_ERR_UNDERLAY_ADDRESS: {
    status: 500,
    meaning: "the address given for the overlay's VXLAN traffic is on no interface of this node",
    action: "give the agent this node's address on the network between nodes (the message lists the node's addresses)",
  },
  SHOAL_ERR_OVERLAY_STEP: {
    status: 500,
    meaning:
      "setting up the overlay (VXLAN devices, bridges, VIPs in a network namespace) failed part-way; what ran before stays",
    action:
      "fix the cause the message names (a name or address used by something else, a missing netns); the next reconcile continues from there",
  },
});

/**
 * Typed errors of the node's networking. Each has a stable `code`, the HTTP `status` the API maps it to, and
 * `temporary` when the same call may succeed later. Messages start with `overlay:` and name what is wrong and
 * how to fix it. Decide what to do from the class and fields, never from the text.
 */
export abstract class NetworkError extends ShoalError {}

/** An option, task id or published-port rule is invalid: `field` names it, the message says what is allowed. */
export class InvalidSpecError extends NetworkError {
  readonly code = "SHOAL_ERR_INVALID_SPEC";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`overlay: invalid ${field}: ${message}`);
  }
}

/** Every usable address of the subnet is handed out. */
export class AddressesExhaustedError extends NetworkError {
  readonly code = "SHOAL_ERR_ADDRESSES_EXHAUSTED";
  readonly status = OVERLAY_ERRORS[this.code].status;
  override readonly temporary = true;
  constructor(readonly subnet: string) {
    super(`overlay: no free address left in ${subnet}; detach tasks that have ended or configure a larger subnet`);
  }
}

/** The state file cannot be used: unreadable, malformed, or written for another subnet. */
export class NetworkStateError extends NetworkError {
  readonly code = "SHOAL_ERR_NETWORK_STATE";
  readonly status = OVERLAY_ERRORS[this.code].status;
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`overlay: state file ${file}: ${message}`, options);
  }
}

/** A system command (`ip`, `nft`, `sysctl`) failed; `cause` holds the underlying error, `stderr` its output. */
export class NetworkCommandError extends NetworkError {
  readonly code = "SHOAL_ERR_NETWORK_COMMAND";
  readonly status = OVERLAY_ERRORS[this.code].status;
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`overlay: \`${command.join(" ")}\` failed: ${stderr.trim() || "no output"}`, options);
  }
}

/** A call needs something that setup() makes (the bridge); call setup() first. */
export class NetworkNotReadyError extends NetworkError {
  readonly code = "SHOAL_ERR_NETWORK_NOT_READY";
  readonly status = OVERLAY_ERRORS[this.code].status;
  override readonly temporary = true;
  constructor(message: string) {
    super(`overlay: ${message}`);
  }
}

/** The overlay's underlay address is not an address of this node, so VXLAN devices cannot use it. */
export class UnderlayAddressError extends NetworkError {
  readonly code = "SHOAL_ERR_UNDERLAY_ADDRESS";
  readonly status = OVERLAY_ERRORS[this.code].status;
  constructor(
    readonly address: string,
    readonly nodeAddresses: readonly string[],
  ) {
    super(
      `overlay: the underlay address ${address} is on no interface of this node (it has ${nodeAddresses.join(", ") || "no IPv4 address"}); ` +
        `configure the node's address on the network between nodes`,
    );
  }
}

/**
 * A batch of overlay work failed part-way: `netns` and `line` say where (the line of an `ip -batch` that the
 * tool reported, when it did), `cause` holds the NetworkCommandError with the tool's output. What ran before
 * stays; a later reconcile reads it back and continues from there.
 */
export class OverlayStepError extends NetworkError {
  readonly code = "SHOAL_ERR_OVERLAY_STEP";
  readonly status = OVERLAY_ERRORS[this.code].status;
  constructor(
    readonly tool: string,
    readonly netns: string | undefined,
    readonly line: string | undefined,
    options: { cause: unknown },
  ) {
    const where = `${tool} in ${netns === undefined ? "the node's netns" : `netns ${netns}`}`;
    const stderr = options.cause instanceof NetworkCommandError ? options.cause.stderr.trim() : String(options.cause);
    super(
      `overlay: ${where} failed${line === undefined ? "" : ` at \`${line}\``}: ${stderr || "no output"}; ` +
        `fix the cause (a name or address used by something else, a missing netns) and reconcile again`,
      options,
    );
  }
}
