import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TlsOptions } from "node:tls";
import { NotLeaderError, RaftError, TimeoutError } from "../../errors.js";
import type { RaftNode } from "../../node/raft-node.js";
import { type KvCommand, type KvResult, type KvStateMachine, encodeKvCommand } from "./kv-state-machine.js";

/**
 * A small HTTP front end of the test key-value store, used by the multi-process tests and the benchmark:
 *
 *   PUT  /kv/<key>            body: value                   -> 200 {"ok":true,"value":...}
 *   POST /cas/<key>           body: {"expected":..,"value":..} -> 200 {"ok":bool,"value":...}
 *   GET  /kv/<key>                                          -> 200 {"value":...|null} (linearizable)
 *   GET  /status                                            -> 200 node status
 *
 * With `tls` (options of `https.createServer`) it serves HTTPS instead.
 *
 * Errors: 421 {"leader":id} from a follower for writes; 503 when the cluster cannot take the request now
 * (definitely not applied); 504 when the outcome is unknown (timeout, node stopping).
 */
export function startKvServer(
  node: RaftNode,
  sm: KvStateMachine,
  host: string,
  port: number,
  tls?: TlsOptions,
): Promise<Server> {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(node, sm, req, res).catch((e: unknown) => reply(res, 500, { error: String(e) }));
  };
  const server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function replyError(res: ServerResponse, e: unknown): void {
  if (e instanceof NotLeaderError) return reply(res, 421, { error: e.message, code: e.code, leader: e.leaderHint });
  if (e instanceof TimeoutError || (e instanceof RaftError && e.code === "SHOAL_ERR_STOPPED")) {
    return reply(res, 504, { error: (e as Error).message, code: e.code, outcome: "unknown" });
  }
  if (e instanceof RaftError) return reply(res, e.status >= 500 ? 503 : e.status, { error: e.message, code: e.code });
  reply(res, 500, { error: String(e) });
}

async function handle(node: RaftNode, sm: KvStateMachine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://kv");
  const [, kind, rawKey] = url.pathname.split("/");
  const key = decodeURIComponent(rawKey ?? "");
  try {
    if (req.method === "GET" && kind === "status") {
      const s = node.status();
      return reply(res, 200, {
        ...s,
        progress: Object.fromEntries(s.progress),
        members: Object.fromEntries(s.members),
      });
    }
    if (!key) return reply(res, 400, { error: "kv: the path must name a key: /kv/<key> or /cas/<key>" });
    if (req.method === "GET" && kind === "kv") {
      await node.readBarrier();
      return reply(res, 200, { value: sm.get(key) });
    }
    let cmd: KvCommand;
    if (req.method === "PUT" && kind === "kv") {
      cmd = { op: "put", key, value: await readBody(req) };
    } else if (req.method === "POST" && kind === "cas") {
      const body = JSON.parse(await readBody(req)) as { expected?: string | null; value?: string };
      if (typeof body.value !== "string") return reply(res, 400, { error: 'kv: cas body needs a string "value"' });
      cmd = { op: "cas", key, expected: body.expected ?? null, value: body.value };
    } else {
      return reply(res, 404, { error: `kv: no route ${req.method ?? ""} ${url.pathname}` });
    }
    const result = await node.propose<KvResult>(encodeKvCommand(cmd));
    reply(res, 200, result);
  } catch (e) {
    replyError(res, e);
  }
}
