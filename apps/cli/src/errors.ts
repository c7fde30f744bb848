import { errorRegistry } from "@shoal/common";

/**
 * The error codes the CLI raises itself (besides the common ones and those of the packages below it), with
 * their meaning and remedy. No API answers with them (status null): the CLI prints them and exits 1, or 2 for
 * SHOAL_ERR_USAGE.
 */
export const CLI_ERRORS = errorRegistry({
  SHOAL_ERR_USAGE: {
    status: null,
    meaning: "the command line is wrong: an unknown flag, a missing or malformed value (exit code 2)",
    action: "fix the flag the message names; `shoal <command> --help` shows the syntax",
  },
  SHOAL_ERR_ALREADY_RUNNING: {
    status: null,
    meaning:
      "a manager or agent already runs for this data dir, so `shoal cluster init|join` (or a forced new cluster) would start a second one",
    action:
      "run `shoal cluster leave` first or use another --data-dir; before `--force-new-cluster`, stop the manager with `kill -TERM <pid>` (the message gives the pid) to keep its state",
  },
  SHOAL_ERR_SPAWN: {
    status: null,
    meaning: "the CLI could not start a manager or agent process: the Node.js executable did not start",
    action: "check that the executable the message names runs here (permissions, memory), then run the command again",
  },
  SHOAL_ERR_DAEMON_EXITED: {
    status: null,
    meaning:
      "a manager or agent the CLI started exited before it became ready; the message shows the last lines of its log",
    action: "fix what the log lines name (a port in use, missing permissions: run as root), then run the command again",
  },
  SHOAL_ERR_NOT_CONVERGED: {
    status: null,
    meaning:
      "a service did not reach its desired state in time, or its update got stuck; the service exists and the cluster keeps trying",
    action: "see why with `shoal service ps SERVICE` and `shoal service inspect SERVICE`; pass --detach not to wait",
  },
  SHOAL_ERR_ROLLED_BACK: {
    status: null,
    meaning:
      "`shoal service update` waited for the update, and it failed and was rolled back; the service runs its previous spec again",
    action: "see why the new tasks failed with `shoal service ps SERVICE`, fix the spec and update again",
  },
  SHOAL_ERR_MANAGER_LEAVE: {
    status: null,
    meaning:
      "`shoal cluster leave` refused on a manager: it is the cluster's only manager (leaving erases the cluster), or the cluster cannot be asked whether other managers remain",
    action: "add another manager first or bring the managers back; --force leaves anyway",
  },
  SHOAL_ERR_BUNDLE_DIR: {
    status: null,
    meaning:
      "`shoal cluster user create` cannot write the user's bundle there: the directory exists and is not empty (no file is ever overwritten), is not a directory, or could not be written",
    action:
      "pass --out with a new or empty directory; when the message says the user was created all the same, remove it (`shoal cluster user rm NAME`) and create it again",
  },
  SHOAL_ERR_TOKEN_FILE: {
    status: null,
    meaning: "`shoal cluster join --token-file` cannot read a join token from the file (or stdin) it names",
    action: "give a readable file holding the token `shoal cluster join-token -q worker|manager` printed",
  },
  SHOAL_ERR_NOT_IN_CLUSTER: {
    status: null,
    meaning: "`shoal cluster leave` found no manager or agent running for this data dir",
    action: "pass the node's --data-dir, or use --force to remove leftover state anyway",
  },
});

/**
 * Typed errors of the CLI. A UsageError is the user's mistake on the command line (exit 2, names the flag);
 * a CliError is anything else the CLI itself detects (exit 1). Errors from the API arrive as ApiError.
 */

/** A bad command line: unknown flag, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  readonly code = "SHOAL_ERR_USAGE";
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The command whose `--help` explains the syntax, e.g. `service create`. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the CLI detects itself (a daemon did not start, a service did not converge). Exit code 1. */
export class CliError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
  }

  /** The message and the hint, as the CLI prints them. */
  describe(): string {
    return this.hint ? `${this.message}\nhint: ${this.hint}` : this.message;
  }
}
