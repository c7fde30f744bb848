import type { NodeRole } from "@shoal/bus";
import { shouldStartManager, startLocalManager, type LocalManagerOptions } from "./local-manager.js";
import type { AgentLog } from "./log.js";
import { defaultAddress } from "./node-description.js";

/** Where a promoted node's manager runs from. */
export interface ManagerPromotionOptions {
  dataDir: string;
  /** The `shoal` CLI script the manager runs from; default this process's script. */
  cliBin?: string | undefined;
  /** The address the manager advertises; default {@link defaultAddress}. */
  advertiseAddr?: string | undefined;
  log: AgentLog;
  /** Whether a manager should start (default: none runs for the data dir, and none left state but a removed one). */
  shouldStart?: (dataDir: string) => boolean;
  /** Starts the manager (default: as `shoal cluster init` would, or as its systemd unit). */
  start?: (o: LocalManagerOptions, join: { managers: string[] }) => void;
}

/**
 * Follows the node's role: a node the managers promote runs a manager, started once per agent process (and
 * not when one runs already). Only an agent that runs from the `shoal` command can start one.
 */
export class ManagerPromotion {
  private started = false;

  constructor(private readonly o: ManagerPromotionOptions) {}

  /** Takes the node's role as the managers sent it; a manager's role with its join starts the manager. */
  follow(node: NodeRole | undefined): void {
    if (node?.role === "manager" && node.managerJoin) this.ensureManager(node.managerJoin);
  }

  /** A promoted node runs a manager: starts it unless one runs already (once per agent process). */
  private ensureManager(join: { managers: string[] }): void {
    if (this.started || !(this.o.shouldStart ?? shouldStartManager)(this.o.dataDir)) return;
    const cliBin = this.o.cliBin ?? process.argv[1] ?? "";
    if (!/shoal(\.mjs)?$/.test(cliBin)) {
      this.o.log.warn(
        "promoted to manager, but this agent does not run from the shoal command, so it cannot start a manager",
        { cliBin },
      );
      return;
    }
    this.started = true;
    try {
      (this.o.start ?? startLocalManager)(
        { dataDir: this.o.dataDir, cliBin, advertiseAddr: this.o.advertiseAddr ?? defaultAddress(), log: this.o.log },
        join,
      );
    } catch (e) {
      this.started = false;
      this.o.log.error("could not start this node's manager", { error: e });
    }
  }
}
