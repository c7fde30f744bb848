import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "@shoal/common";
import { ManagerStartError } from "./errors.js";

/** The file a removed manager leaves in its state dir (`<data dir>/manager`). */
export const REMOVED_MARKER = "removed.json";

/** Who this manager is: its cluster, its Raft id and its node (kept in `manager.json`). */
export interface Identity {
  clusterId: string;
  raftId: number;
  /** Absent in state written before managers had certificates. */
  nodeId?: string;
}

/** The managers a new manager joins through (its node's agent certificate says who it is). */
export interface JoinTarget {
  managers: string[];
}

/** How a manager starts from its state dir: with the identity it has, or as a new cluster's first, or joining one. */
export type StartMode =
  { mode: "existing"; identity: Identity } | { mode: "init" } | { mode: "join"; join: JoinTarget };

/**
 * Reads how the manager in `dir` starts. Refuses a removed manager's state (it never runs again), a forced new
 * cluster without state, and a dir with no cluster when neither init nor join was asked for.
 */
export function startModeOf(
  dir: string,
  o: { init: boolean; forceNewCluster?: boolean | undefined; join?: JoinTarget | undefined },
): StartMode {
  if (existsSync(join(dir, REMOVED_MARKER))) {
    throw new ManagerStartError(
      `manager: the manager of ${dir} was removed from the cluster (demoted or its node removed); it cannot run again`,
      {
        hint: "join the node again as a manager (`shoal node promote`, or `shoal cluster leave --force` then `shoal cluster join` with the manager token)",
      },
    );
  }
  const idFile = join(dir, "manager.json");
  if (existsSync(idFile)) return { mode: "existing", identity: JSON.parse(readFileSync(idFile, "utf8")) as Identity };
  if (o.forceNewCluster) {
    throw new ManagerStartError(
      `manager: ${dir} holds no manager state, so there is nothing to recover: run --force-new-cluster on a node that was a manager`,
    );
  }
  if (o.init) return { mode: "init" };
  if (o.join) return { mode: "join", join: o.join };
  throw new ManagerStartError(
    `manager: ${dir} holds no cluster: start a new one with \`shoal cluster init\` (or pass --init), or join one with \`shoal cluster join\` and a manager token`,
  );
}

/** Keeps a new manager's identity (after Raft has its state, so a crash in between starts over cleanly). */
export function saveIdentity(dir: string, identity: Identity): Promise<void> {
  return writeFileDurably(join(dir, "manager.json"), JSON.stringify(identity));
}

/** Marks the state as a removed manager's: it is never started again, and a promotion starts anew. */
export function markRemoved(dir: string, raftId: number, now: number): void {
  writeFileSync(join(dir, REMOVED_MARKER), `${JSON.stringify({ raftId, at: new Date(now).toISOString() })}\n`);
}
