import { ShoalError } from "@shoal/common";
import { ManagerError } from "../errors.js";
import { ValidationError, type ErrorBody } from "@shoal/api";
import { NotLeaderError, NoQuorumError, TimeoutError } from "@shoal/raft";
import { managerLabel, quorumOf, type Managers, type RaftView } from "./raft-view.js";

const RECOVER_HINT =
  "if the other managers are lost for good, recover with `shoal cluster init --force-new-cluster` on a surviving manager; reads with stale=true still answer from a manager's local state";

export const notFound = (what: string, ref: string, hint?: string): ManagerError =>
  new ManagerError("SHOAL_ERR_NOT_FOUND", `no ${what} ${JSON.stringify(ref)}`, {
    hint: hint ?? `list them with \`shoal ${what} ls\``,
  });

/**
 * The 503 for a read or write without quorum: how many managers are known, which this one reaches, and how
 * to get out of it.
 */
export function noQuorumError(view: RaftView, managers: Managers): ManagerError {
  const members = [...view.voters, ...view.learners].sort((a, b) => a - b);
  const reached = members.filter((id) => view.reachable.has(id));
  const lost = members.filter((id) => !view.reachable.has(id));
  const each = members.map(
    (id) =>
      `${managerLabel(managers, id)}${id === view.id ? " (this one)" : ""}: ${view.reachable.has(id) ? "reachable" : "unreachable"}`,
  );
  return new ManagerError(
    "SHOAL_ERR_NO_QUORUM",
    `a majority of managers is unreachable, so nothing can be read or written consistently: this manager reaches ${reached.length} of the ${members.length} known managers (${each.join("; ")}); ${quorumOf(view)} of the ${view.voters.length} voters are needed`,
    {
      hint: `bring the unreachable managers back${lost.length ? ` (${lost.map((id) => managerLabel(managers, id)).join(", ")})` : ""}; ${RECOVER_HINT}`,
    },
  );
}

/** The 503 while no leader is known but quorum is not known to be lost (an election is under way). */
export function noLeaderError(detail = "no manager is leader right now (an election is in progress)"): ManagerError {
  return new ManagerError("SHOAL_ERR_NO_LEADER", detail, {
    hint: "retry in a second; `shoal cluster status` shows the managers and which one leads",
  });
}

/**
 * Rewords consensus failures of a read barrier or a write as the API reports them: no quorum (with who is
 * reachable), no leader, or, for anything else, the error itself. A barrier that timed out while this manager
 * knows no leader is one of the first two.
 */
export function consensusError(e: unknown, view: RaftView, managers: Managers): unknown {
  const leaderless = view.leaderId === 0;
  if (
    e instanceof NoQuorumError ||
    ((e instanceof NotLeaderError || e instanceof TimeoutError) && leaderless && view.noQuorum)
  )
    return noQuorumError(view, managers);
  if (e instanceof NotLeaderError || (e instanceof TimeoutError && leaderless)) return noLeaderError();
  return e;
}

/**
 * Maps any error to the status and body the API answers with. Every typed error of Shoal's packages carries
 * its code, status and hint; only the consensus errors are reworded here, since they are about the cluster.
 */
export function toErrorBody(e: unknown): { status: number; body: ErrorBody } {
  const body = (code: string, message: string, extra: Partial<ErrorBody["error"]> = {}): ErrorBody => ({
    error: { code, message, ...extra },
  });
  if (e instanceof ValidationError) {
    const n = e.issues.length;
    return {
      status: 400,
      body: body(e.code, `invalid ${e.what}: ${n} field${n === 1 ? " is" : "s are"} wrong`, { issues: [...e.issues] }),
    };
  }
  // Without a view of the managers (see consensusError for the full story).
  if (e instanceof NotLeaderError) return toErrorBody(noLeaderError());
  if (e instanceof NoQuorumError) {
    return toErrorBody(
      new ManagerError(
        "SHOAL_ERR_NO_QUORUM",
        `a majority of managers is unreachable, so nothing can be read or written consistently (${e.message.replace(/^raft: /, "")})`,
        { hint: `bring the other managers back; ${RECOVER_HINT}` },
      ),
    );
  }
  if (e instanceof ShoalError) {
    const hint = e.hint ?? (e.temporary ? "retry" : undefined);
    const status = e.status >= 500 && e.temporary ? 503 : e.status;
    return { status, body: body(e.code, e.message.replace(/^store: /, ""), hint ? { hint } : {}) };
  }
  const fe = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: body("SHOAL_ERR_BAD_REQUEST", fe.message ?? "bad request", {
        hint: "send a JSON body with content-type application/json",
      }),
    };
  }
  return { status: 500, body: body("SHOAL_ERR_INTERNAL", `internal error: ${(e as Error).message ?? String(e)}`) };
}
