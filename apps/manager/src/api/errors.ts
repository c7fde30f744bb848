import { ShoalError } from "@shoal/common";
import { ValidationError, type ErrorBody } from "@shoal/api";
import { NotLeaderError, NoQuorumError } from "@shoal/raft";

/** An API error with its HTTP status, stable code and a hint. */
export class HttpError extends ShoalError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint === undefined ? undefined : { hint });
  }
}

export const notFound = (what: string, ref: string, hint?: string): HttpError =>
  new HttpError(404, "SHOAL_ERR_NOT_FOUND", `no ${what} ${JSON.stringify(ref)}`, hint ?? `list them with \`shoal ${what} ls\``);

/**
 * Maps any error to the status and body the API answers with. Every typed error of Shoal's packages carries
 * its code, status and hint; only the consensus errors are reworded here, since they are about the cluster.
 */
export function toErrorBody(e: unknown): { status: number; body: ErrorBody } {
  const body = (code: string, message: string, extra: Partial<ErrorBody["error"]> = {}): ErrorBody => ({ error: { code, message, ...extra } });
  if (e instanceof ValidationError) {
    const n = e.issues.length;
    return { status: 400, body: body(e.code, `invalid ${e.what}: ${n} field${n === 1 ? " is" : "s are"} wrong`, { issues: [...e.issues] }) };
  }
  if (e instanceof NotLeaderError) {
    return { status: 503, body: body("SHOAL_ERR_NO_LEADER", "no manager is leader right now (election in progress)", { hint: "retry in a second" }) };
  }
  if (e instanceof NoQuorumError) {
    return {
      status: 503,
      body: body("SHOAL_ERR_NO_QUORUM", "the managers have lost quorum: a majority is unreachable, so nothing can be written", {
        hint: "bring the other managers back, or rebuild from this one with `shoal cluster init --force-new-cluster`",
      }),
    };
  }
  if (e instanceof ShoalError) {
    const hint = e.hint ?? (e.temporary ? "retry" : undefined);
    const status = e.status >= 500 && e.temporary ? 503 : e.status;
    return { status, body: body(e.code, e.message.replace(/^store: /, ""), hint ? { hint } : {}) };
  }
  const fe = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: body("SHOAL_ERR_BAD_REQUEST", fe.message ?? "bad request", { hint: "send a JSON body with content-type application/json" }) };
  }
  return { status: 500, body: body("SHOAL_ERR_INTERNAL", `internal error: ${(e as Error).message ?? String(e)}`) };
}
