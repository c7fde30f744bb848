import { request } from "node:http";
import type { Readable } from "node:stream";
import { ApiError, clientError, ErrorBodySchema } from "@shoal/api";

/** The answer of the local agent's API. */
export interface AgentReply {
  status: number;
  body: unknown;
}

/** A request to the local agent: a JSON body, a stream (image tar) or nothing. */
export interface AgentRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  json?: unknown;
  stream?: { body: Readable; contentType: string };
  timeoutMs?: number;
}

/**
 * A client of the agent's API on its unix socket (`<run-dir>/agent.sock`): images and the node's own info.
 * Error answers (`{ error: { code, message, hint? } }`) and an absent agent are ApiErrors, like the manager's.
 */
export class AgentClient {
  constructor(readonly socketPath: string) {}

  /** Sends a request and returns the parsed JSON answer of a success. */
  async call<T = unknown>(req: AgentRequest): Promise<T> {
    const reply = await this.send(req);
    if (reply.status >= 400) throw toApiError(reply);
    return reply.body as T;
  }

  private send(req: AgentRequest): Promise<AgentReply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: "application/json" };
      const payload = req.json === undefined ? undefined : JSON.stringify(req.json);
      if (payload !== undefined) headers["content-type"] = "application/json";
      if (req.stream) headers["content-type"] = req.stream.contentType;
      const r = request(
        { socketPath: this.socketPath, path: req.path, method: req.method, headers, timeout: req.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown = text;
            try {
              body = text === "" ? undefined : JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      r.on("timeout", () =>
        r.destroy(
          clientError(
            "SHOAL_ERR_TIMEOUT",
            `no answer from the local agent at ${this.socketPath} in time`,
            [],
            "the agent may be busy; retry",
          ),
        ),
      );
      r.on("error", (e: NodeJS.ErrnoException) => {
        if (e instanceof ApiError) return reject(e);
        reject(
          clientError(
            "SHOAL_ERR_UNREACHABLE",
            `cannot reach the local agent at ${this.socketPath} (${e.code ?? e.message})`,
            [],
            "is `shoal agent` running on this node? start it with `shoal cluster init` or `shoal cluster join`, or pass --run-dir",
          ),
        );
      });
      if (req.stream) {
        req.stream.body.on("error", (e) => r.destroy(e));
        req.stream.body.pipe(r);
      } else r.end(payload);
    });
  }
}

function toApiError(reply: AgentReply): ApiError {
  const parsed = ErrorBodySchema.safeParse(reply.body);
  if (!parsed.success)
    return new ApiError(
      reply.status,
      "SHOAL_ERR_HTTP",
      `HTTP ${reply.status}: ${(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)).slice(0, 200)}`,
    );
  const e = parsed.data.error;
  return new ApiError(reply.status, e.code, e.message, e.issues ?? [], e.hint);
}
