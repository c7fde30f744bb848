import { ValidationError, type ErrorBody } from "@shoal/api";
import { StoreError } from "@shoal/store";
import { RaftError, NotLeaderError, NoQuorumError } from "@shoal/raft";

/** An API error with its HTTP status, stable code and a hint. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const notFound = (what: string, ref: string, hint?: string): HttpError =>
  new HttpError(404, "SHOAL_ERR_NOT_FOUND", `no ${what} ${JSON.stringify(ref)}`, hint ?? `list them with \`shoal ${what} ls\``);

/** Maps any error to the status and body the API answers with. */
export function toErrorBody(e: unknown): { status: number; body: ErrorBody } {
  const body = (code: string, message: string, extra: Partial<ErrorBody["error"]> = {}): ErrorBody => ({ error: { code, message, ...extra } });
  if (e instanceof ValidationError) {
    const n = e.issues.length;
    return { status: 400, body: body(e.code, `invalid ${e.what}: ${n} field${n === 1 ? " is" : "s are"} wrong`, { issues: [...e.issues] }) };
  }
  if (e instanceof HttpError) return { status: e.status, body: body(e.code, e.message, e.hint ? { hint: e.hint } : {}) };
  if (e instanceof StoreError) {
    const hint = e.status === 409 && e.code === "SHOAL_ERR_VERSION_CONFLICT" ? "someone changed it meanwhile: inspect it again and retry with the new version" : undefined;
    return { status: e.status, body: body(e.code, e.message.replace(/^store: /, ""), hint ? { hint } : {}) };
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
  if (e instanceof RaftError) {
    return { status: e.temporary ? 503 : 500, body: body(e.code, e.message, e.temporary ? { hint: "retry" } : {}) };
  }
  const fe = e as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: body("SHOAL_ERR_BAD_REQUEST", fe.message ?? "bad request", { hint: "send a JSON body with content-type application/json" }) };
  }
  return { status: 500, body: body("SHOAL_ERR_INTERNAL", `internal error: ${(e as Error).message ?? String(e)}`) };
}
