import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { ROUTES, UnlockRequestSchema, type ErrorBody } from "@shoal/api";
import { ShoalError } from "@shoal/common";
import { ManagerError } from "./errors.js";
import { closePrivately, listenPrivately } from "./private-socket.js";

/**
 * What a locked manager serves (docs/design/trust.md §4.9): its local socket only (`<runDir>/manager.sock`,
 * 0600, so only root on the node reaches it; no TCP port), where `POST /v1/unlock {unlockKey}` tries the key
 * and every other request is answered 503 SHOAL_ERR_LOCKED saying how to unlock. It knows nothing of keys:
 * `unlock` decides.
 */
export interface LockedSocketOptions {
  /** The socket's path, `<runDir>/manager.sock`. */
  readonly path: string;
  /**
   * Tries an unlock key's text: resolves true when it opened the manager (the socket then closes), false when
   * it is not the key; throws a ShoalError (a malformed key) to answer with it. Calls never overlap.
   */
  readonly unlock: (unlockKey: string) => Promise<boolean> | boolean;
  /** The 401 of a key that is not the one: it names the key the manager waits for. */
  readonly badKey: () => ManagerError;
  /** The 503 of every other request. */
  readonly locked: () => ManagerError;
}

/** A locked manager's socket: `unlocked` resolves once a right key was given and the socket is closed. */
export interface LockedSocket {
  readonly unlocked: Promise<void>;
  /** Stops serving without an unlock (the manager is stopping). */
  close(): Promise<void>;
}

/** Bodies larger than this are refused: an unlock request is a hundred bytes. */
const BODY_LIMIT = 4096;

/** Serves the locked socket at `o.path` (in place once it has mode 0600). */
export async function serveLockedSocket(o: LockedSocketOptions): Promise<LockedSocket> {
  let done: (() => void) | undefined;
  const unlocked = new Promise<void>((resolve) => (done = resolve));
  // One key is tried at a time: `locked → unlocking → open`.
  let trying: Promise<void> = Promise.resolve();
  let open = false;
  const route = ROUTES.unlock;
  const server = createServer((req, res) => {
    if (req.method !== route.method || req.url?.split("?")[0] !== route.path) {
      req.resume();
      return answer(res, o.locked());
    }
    trying = trying.then(() => attempt(req, res)).catch((e: unknown) => answer(res, e));
  });
  const attempt = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJson(req);
    if (open) return answer(res, o.locked());
    const r = UnlockRequestSchema.safeParse(body);
    if (!r.success)
      return answer(res, new ManagerError("SHOAL_ERR_INVALID_ARGUMENT", "invalid request body: unlockKey is wrong"), {
        issues: r.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })),
      });
    if (!(await o.unlock(r.data.unlockKey))) return answer(res, o.badKey());
    open = true;
    // The socket closes once the answer has gone out.
    res.once("finish", () => done?.());
    res.statusCode = 204;
    res.end();
  };
  await listenPrivately(server, o.path);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= closePrivately(server, o.path));
  return { unlocked: unlocked.then(close), close };
}

/** The request's JSON body (at most BODY_LIMIT bytes). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new ManagerError("SHOAL_ERR_INVALID_ARGUMENT", "the request body is too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new ManagerError("SHOAL_ERR_INVALID_ARGUMENT", "the request body is not JSON: send {unlockKey}");
  }
}

/** Answers with an error's status and the API's error body. */
function answer(res: ServerResponse, e: unknown, extra: Partial<ErrorBody["error"]> = {}): void {
  if (res.headersSent) return;
  const err =
    e instanceof ShoalError
      ? e
      : new ManagerError("SHOAL_ERR_INTERNAL", `internal error: ${(e as Error).message ?? String(e)}`);
  const body: ErrorBody = {
    error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), ...extra },
  };
  res.statusCode = err.status;
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  res.end(JSON.stringify(body));
}
