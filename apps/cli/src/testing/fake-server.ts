import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { authorizedPeerIdentity, formatIdentity, serverTlsOptions } from "@shoal/trust";
import type { CliIo } from "../context.js";

/** A request the fake server received. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
  params: Record<string, string>;
  /** Over HTTPS, the identity of the client's certificate when it presented one the server trusts. */
  peer?: string;
}

/** Options of a FakeServer: plain HTTP, or HTTPS presenting `chain` (leaf first) and asking clients for theirs. */
export interface FakeServerOptions {
  readonly tls?: { readonly chain: readonly string[]; readonly key: string; readonly trust: readonly string[] };
}

/** What a handler answers: a JSON body with a status, or raw lines (ndjson streams), and extra headers. */
export type Answer = { status: number; json?: unknown; lines?: string[]; headers?: Record<string, string> };
type Handler = (r: Received) => Answer | Promise<Answer>;

/**
 * An HTTP server for command tests, on loopback or a unix socket: routes like `GET /v1/services/:ref`
 * answered by handlers, every request recorded. Unknown routes answer 404 with an API error body. With `tls`,
 * it serves HTTPS as a manager does (TLS 1.3, client certificates asked for, not required).
 */
export class FakeServer {
  readonly received: Received[] = [];
  private readonly routes: { method: string; parts: string[]; handler: Handler }[] = [];
  private readonly server: Server | HttpsServer;
  private readonly sockets = new Set<Socket>();
  private readonly idleWaiters: (() => void)[] = [];

  constructor(o: FakeServerOptions = {}) {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = o.tls
      ? createHttpsServer(serverTlsOptions({ ...o.tls, clientCertificates: "request" }), handler)
      : createServer(handler);
    this.server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
    });
  }

  /** Resolves once no client connection is open (a client that closed its kept-alive connections). */
  idle(): Promise<void> {
    return this.sockets.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Adds a route; `:name` segments become params. */
  on(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, parts: path.split("/"), handler });
    return this;
  }

  /** Listens on 127.0.0.1 (port 0) or on a unix socket path; returns `host:port` or the path. */
  async listen(socketPath?: string): Promise<string> {
    await new Promise<void>((resolve) =>
      socketPath ? this.server.listen(socketPath, resolve) : this.server.listen(0, "127.0.0.1", resolve),
    );
    const a = this.server.address();
    return typeof a === "object" && a ? `127.0.0.1:${a.port}` : (socketPath as string);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Requests with this method and path (no query). */
  requests(method: string, path: string): Received[] {
    return this.received.filter((r) => r.method === method && r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://x");
    const parts = url.pathname.split("/");
    const identity = "encrypted" in req.socket ? authorizedPeerIdentity(req.socket as TLSSocket) : undefined;
    const peer = identity ? { peer: formatIdentity(identity) } : {};
    for (const route of this.routes) {
      if (route.method !== req.method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (
        !route.parts.every((p, i) =>
          p.startsWith(":") ? ((params[p.slice(1)] = decodeURIComponent(parts[i] as string)), true) : p === parts[i],
        )
      )
        continue;
      const r: Received = {
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
        params,
        ...peer,
      };
      this.received.push(r);
      const a = await route.handler(r);
      res.writeHead(a.status, { "content-type": a.lines ? "application/x-ndjson" : "application/json", ...a.headers });
      res.end(
        a.lines ? a.lines.map((l) => `${l}\n`).join("") : a.json === undefined ? undefined : JSON.stringify(a.json),
      );
      return;
    }
    this.received.push({
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks),
      params: {},
      ...peer,
    });
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        error: { code: "SHOAL_ERR_NOT_FOUND", message: `fake: no route ${req.method ?? ""} ${url.pathname}` },
      }),
    );
  }
}

/** An API error answer. */
export const apiError = (
  status: number,
  code: string,
  message: string,
  extra: { issues?: { field: string; message: string }[]; hint?: string } = {},
): Answer => ({
  status,
  json: { error: { code, message, ...extra } },
});

/** CliIo writing into strings, for `main(argv, io)` in tests. */
export function captureIo(
  o: { env?: Record<string, string>; stdin?: Readable; cliBin?: string } = {},
): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s) },
    stdin: o.stdin ?? Readable.from([]),
    env: o.env ?? {},
    ...(o.cliBin ? { cliBin: o.cliBin } : {}),
    out: () => out,
    err: () => err,
  };
}
