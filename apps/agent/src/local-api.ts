import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Fastify, { type FastifyInstance } from "fastify";
import type { Executor } from "@shoal/runtime";
import { AgentError, BadRequestError } from "./errors.js";

/** What `GET /v1/info` answers. */
export interface AgentInfo {
  nodeId?: string;
  hostname: string;
  clusterId: string;
  connected: boolean;
  /** Tasks assigned to this node. */
  tasks: number;
  /** Containers the runtime holds (any state). */
  containers: number;
}

/** What the local API needs of the agent. */
export interface LocalApiBackend {
  readonly info: () => Promise<AgentInfo>;
  readonly executor: Executor;
  /** Leaves the cluster (everything but closing this API, which happens after the answer is sent). */
  readonly leave: () => Promise<void>;
  /** Called once the answer to a leave was sent. */
  readonly afterLeave: () => void;
  /** Where uploaded image archives are spooled. */
  readonly spoolDir: string;
}

interface ErrorLike {
  status?: unknown;
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** Maps an error to the local API's status and `{ error: { code, message, hint? } }` body. */
export function errorBody(e: unknown): {
  status: number;
  body: { error: { code: string; message: string; hint?: string } };
} {
  const err = (e ?? {}) as ErrorLike;
  const message = typeof err.message === "string" ? err.message : String(e);
  const declared =
    typeof err.status === "number" ? err.status : typeof err.statusCode === "number" ? err.statusCode : 500;
  const status = declared >= 400 && declared < 600 ? declared : 500;
  const code =
    typeof err.code === "string" && err.code.startsWith("SHOAL_ERR_")
      ? err.code
      : status < 500
        ? "SHOAL_ERR_BAD_REQUEST"
        : "SHOAL_ERR_INTERNAL";
  const hint = e instanceof AgentError ? e.hint : typeof err.hint === "string" ? err.hint : undefined;
  return { status, body: { error: { code, message, ...(hint === undefined ? {} : { hint }) } } };
}

/**
 * The agent's local API, for the `shoal` CLI on this node (`image load|ls|rm`, `cluster leave`): HTTP on a
 * unix socket readable by root only (mode 0600).
 */
export async function startLocalApi(socketPath: string, backend: LocalApiBackend): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  // Image archives are streamed to a spool file, not buffered.
  app.addContentTypeParser(
    ["application/x-tar", "application/gzip", "application/octet-stream"],
    (_req, payload, done) => done(null, payload),
  );
  app.setErrorHandler((e, _req, reply) => {
    const { status, body } = errorBody(e);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: {
        code: "SHOAL_ERR_NOT_FOUND",
        message: `agent: no route ${req.method} ${req.url}`,
        hint: "the agent serves /v1/info, /v1/images, /v1/images/load and /v1/leave",
      },
    }),
  );

  app.get("/v1/info", () => backend.info());
  app.get("/v1/images", () => backend.executor.images.list());
  app.post("/v1/images/load", async (req) => {
    const body = req.body as Readable | undefined;
    if (!body || typeof body.pipe !== "function") {
      throw new BadRequestError(
        "send the image archive as the body, with content-type application/x-tar",
        "use `shoal image load -i image.tar`",
      );
    }
    await fs.mkdir(backend.spoolDir, { recursive: true, mode: 0o700 });
    const spool = path.join(backend.spoolDir, `load-${randomBytes(6).toString("hex")}.tar`);
    try {
      await pipeline(body, createWriteStream(spool, { mode: 0o600 }));
      const r = await backend.executor.images.load(spool);
      return { loaded: r.images.flatMap((i) => (i.repoTags.length > 0 ? i.repoTags : [i.id])), images: r.images };
    } finally {
      await fs.rm(spool, { force: true });
    }
  });
  app.delete<{ Params: { ref: string }; Querystring: { force?: string } }>("/v1/images/:ref", async (req) => {
    const force = req.query.force === "true" || req.query.force === "1";
    return backend.executor.images.remove(req.params.ref, { force });
  });
  app.post("/v1/leave", async (_req, reply) => {
    await backend.leave();
    reply.raw.once("finish", () => backend.afterLeave());
    return { left: true };
  });

  await fs.mkdir(path.dirname(socketPath), { recursive: true });
  await fs.rm(socketPath, { force: true });
  await app.listen({ path: socketPath });
  await fs.chmod(socketPath, 0o600);
  return app;
}
