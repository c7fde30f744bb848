import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import { classifyTlsFailure, parseOrThrow, ROUTES, type RouteDef, type RouteName } from "@shoal/api";
import { isPublicKind } from "@shoal/store";
import { ManagerError } from "../errors.js";
import { consensusError, noLeaderError, noQuorumError, toErrorBody } from "./errors.js";
import { handlers, raftView, type ApiContext, type Parsed } from "./handlers.js";
import { streamEvents, streamLogs, type ApiEvent } from "./streams.js";
import { JoinLimit } from "./join-limit.js";
import { openApiDocument } from "./openapi.js";
import { buildClusterStatus } from "./cluster-status.js";
import { defaultDashboardDir, registerDashboard } from "./dashboard.js";
import { authorize } from "../auth/policy.js";
import {
  callerBy,
  callerOf,
  effectiveCaller,
  FORWARDED_FOR,
  forwardedByManager,
  forwardedFor,
  registerCallerHook,
  type Caller,
  type CallerHookOptions,
} from "./caller.js";
import { serveLocalSocket, type LocalSocket } from "./local-socket.js";
import { DashboardSessions } from "./dashboard-sessions.js";
import { managerNames } from "../auth/origin.js";
import { silentLogger, type LoopLog } from "../log.js";
import { ApiTlsState, createApiApp, type ApiTls } from "./tls-server.js";

export interface ApiServerOptions extends ApiContext {
  version: string;
  /** The leader's API address when this manager is not the leader (writes are forwarded there). */
  leaderApi?: () => string | undefined;
  /** Events kept for `GET /v1/events?since=`; default 10,000. */
  eventHistory?: number;
  /** How long a linearizable read may wait for its read barrier (and a leader) before it fails; default 5 s. */
  requestTimeoutMs?: number;
  /** The built web dashboard to serve at `/`; default the dashboard package's build, `null` for none. */
  dashboardDir?: string | null;
  /**
   * Serve HTTPS with these certificates (docs/design/trust.md §4.7): client certificates are asked for, each
   * request's caller is resolved from its certificate (`callerOf`), and writes are forwarded to the leader over
   * TLS with this chain. Without it the API serves plain HTTP. Swap the material later with `updateTls`.
   */
  tls?: ApiTls;
  /**
   * The fetch that forwards to the leader; default: with `tls`, one presenting this manager's certificate and
   * accepting any manager of its cluster (closed with the server), else the global fetch.
   */
  forwardFetch?: typeof fetch;
  /**
   * Also serve the API on this Unix socket (mode 0600, root only), where every caller is root on this manager's
   * node `nodeId`, an admin (docs/design/trust.md §4.3): how `shoal` on a manager node calls without flags.
   */
  localSocket?: LocalSocket;
  /**
   * Who calls, instead of the client certificate (tests that inject requests); undefined leaves it to the
   * certificate. Every request is still authorized by its route's access.
   */
  authenticate?: (req: FastifyRequest) => Caller | undefined;
  /** Where sign-ins and refused dashboard requests are logged (with the source address, never a token). */
  log?: LoopLog;
}

/** The body limit of the public routes (sign-in, join): what they take is small, and anyone may send it. */
export const PUBLIC_BODY_LIMIT = 64 * 1024;

/** Response header on every answer: the managers' API addresses, comma-separated (clients follow them). */
export const MANAGERS_HEADER = "x-shoal-managers";
/** Response header on every answer while a leader is known: the leader's API address. */
export const LEADER_HEADER = "x-shoal-leader";

/**
 * The REST API: every route of the shared route table, each request parsed with its zod schemas (400 naming
 * each wrong field), errors as `{ error: { code, message, issues?, hint? } }`, writes forwarded to the leader,
 * the event stream as server-sent events, logs as newline-delimited JSON, the OpenAPI document at
 * /openapi.json with Swagger UI at /docs, and the web dashboard at /.
 */
export async function buildApiServer(o: ApiServerOptions): Promise<FastifyInstance> {
  const tls = o.tls ? new ApiTlsState(o.tls) : undefined;
  const app = createApiApp({ logger: false, bodyLimit: 4 * 1024 * 1024, forceCloseConnections: true }, tls);
  const leaderFetch: LeaderFetch = {
    scheme: tls ? "https" : "http",
    fetch: o.forwardFetch ?? tls?.forwardFetch ?? ((input, init) => fetch(input, init)),
  };
  // Who calls, before any body is read: root on the local socket, else the client certificate (a refused one
  // ends the request), else the dashboard's session cookie.
  const local = o.localSocket && serveLocalSocket(app, o.localSocket);
  const fromTls = tls && { trust: () => tls.trust, now: o.clock ?? Date.now };
  const authenticate = o.authenticate;
  const sessions = new DashboardSessions({
    store: o.store,
    clusterId: () => o.info().clusterId,
    // With TLS, the names of the manager's certificate; a plain API (tests) answers to its address.
    origin: () =>
      tls
        ? { scheme: "https", names: tls.names }
        : { scheme: "http", names: managerNames(undefined, [o.info().managerAddr.replace(/:\d+$/, "")]) },
    now: o.clock ?? Date.now,
    log: o.log ?? silentLogger,
  });
  // Injected requests (tests) may be given a caller; others are the client certificate's, or the cookie's.
  const callers: CallerHookOptions | undefined = authenticate
    ? { resolve: (req) => authenticate(req) ?? callerBy(fromTls, req) }
    : fromTls;
  const withCookies = sessions.wrap(callers);
  registerCallerHook(app, local?.wrap(withCookies) ?? withCookies);
  // Validation is the zod schemas' job; fastify's JSON schemas below only document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const document = openApiDocument(o.version);
  await app.register(fastifySwagger, { mode: "static", specification: { document: document as never } });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", (_req, reply) => reply.send(document));
  await registerDashboard(app, o.dashboardDir === null ? undefined : (o.dashboardDir ?? defaultDashboardDir()));

  const managers = () => o.store.state.cluster()?.managers ?? [];
  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toErrorBody(consensusError(err, raftView(o), managers()));
    void reply.status(status).send(body);
  });
  // Every answer to a caller with a credential tells where the managers are, so clients can move to another
  // when this one goes away; anonymous callers (the join, refusals) learn nothing of the cluster's layout.
  app.addHook("onSend", (req, reply, payload, done) => {
    if (callerOf(req).kind === "anonymous") {
      done(null, payload);
      return;
    }
    const list = managers().map((m) => m.apiAddr);
    if (list.length > 0) void reply.header(MANAGERS_HEADER, list.join(","));
    const leader = o.leaderApi?.() ?? (o.store.isLeader() ? o.info().managerAddr : undefined);
    if (leader) void reply.header(LEADER_HEADER, leader);
    done(null, payload);
  });
  const timeoutMs = o.requestTimeoutMs ?? 5_000;
  /** Without a leader: no quorum (with who is reachable) once that is likely, else an election under way. */
  const leaderless = () => {
    const view = raftView(o);
    return view.noQuorum ? noQuorumError(view, managers()) : noLeaderError();
  };
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({
      error: {
        code: "SHOAL_ERR_NO_ROUTE",
        message: `no route ${req.method} ${req.url}`,
        hint: "see the API at /docs",
      },
    });
  });

  // Events: a ring of recent ones for `since`, and live subscribers.
  const history: ApiEvent[] = [];
  const limit = o.eventHistory ?? 10_000;
  const listeners = new Set<(e: ApiEvent[]) => void>();
  const unwatch = o.store.watch((events) => {
    // Internal kinds (the cluster's secrets) never enter the ring, so no stream can send them.
    const mapped = events.flatMap((e) =>
      isPublicKind(e.kind) ? [{ index: e.index, op: e.op, kind: e.kind, id: e.object.id, object: e.object }] : [],
    );
    if (mapped.length === 0) return;
    history.push(...mapped);
    if (history.length > limit) history.splice(0, history.length - limit);
    for (const l of listeners) l(mapped);
  });
  app.addHook("onClose", () => {
    unwatch();
    listeners.clear();
  });

  const joins = new JoinLimit({ now: o.clock ?? Date.now, log: o.log ?? silentLogger });
  for (const [name, route] of Object.entries(ROUTES) as [RouteName, RouteDef][]) {
    app.route({
      method: route.method,
      url: route.path,
      ...(route.access === "public" ? { bodyLimit: PUBLIC_BODY_LIMIT } : {}),
      // Who may call it, decided before the body is read and before anything is forwarded: a request of the
      // dashboard's session (and a sign-in) must come from the manager's own page, then the route's access.
      onRequest: (req, _reply, done) => {
        try {
          sessions.checkOrigin(req, callerOf(req), name === "sessionCreate");
          authorize(effectiveCaller(req, o.store), route.access, o.store.state, `call ${route.method} ${route.path}`);
          done();
        } catch (e) {
          done(e as Error);
        }
      },
      handler: async (req, reply) =>
        // Joins are limited by their source where they arrive, not again where they were forwarded to.
        name === "clusterJoin" && !forwardedByManager(req, o.store)
          ? joins.guard(req, reply, () => serve(req, reply))
          : serve(req, reply),
    });
    async function serve(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
      // Sessions live in this manager's memory: sign-in and sign-out are never forwarded.
      if (name === "sessionCreate")
        return sessions.signIn(req, reply, parseOrThrow(ROUTES.sessionCreate.body, req.body, "request body"));
      if (name === "sessionDelete") return sessions.signOut(req, reply);
      if (route.method !== "GET" && !o.store.isLeader())
        return forward(req, reply, o.leaderApi?.(), leaderless, leaderFetch);
      if (name === "clusterStatus" && !o.store.isLeader()) return clusterStatusVia(o, req, reply, leaderFetch);
      const input = {
        params: route.params ? parseOrThrow(route.params, req.params, "path parameters") : undefined,
        query: route.query ? parseOrThrow(route.query, req.query ?? {}, "query") : undefined,
        body: route.body ? parseOrThrow(route.body, req.body, "request body") : undefined,
      };
      if (name === "events")
        return streamEvents(req, reply, input.query as { since?: number; kind?: string }, history, listeners);
      const stale = (input.query as { stale?: boolean } | undefined)?.stale === true;
      const ctx: ApiContext = { ...o, readOptions: { stale, timeoutMs }, caller: effectiveCaller(req, o.store) };
      if (name === "serviceLogs" || name === "taskLogs")
        return streamLogs(ctx, req, reply, name, input as Parsed<"taskLogs">);
      const h = handlers[name] as (ctx: ApiContext, i: unknown) => Promise<unknown>;
      const result = await h(ctx, input);
      reply.status(route.status);
      if ("returnsSecret" in route) void reply.header("cache-control", "no-store");
      if (route.status === 204) return reply.send();
      return reply.send(result);
    }
  }
  return app;
}

async function forward(
  req: FastifyRequest,
  reply: FastifyReply,
  leader: string | undefined,
  leaderless: () => ManagerError,
  via: LeaderFetch,
): Promise<FastifyReply> {
  if (!leader) throw leaderless();
  if (req.headers["x-shoal-forwarded"]) throw noLeaderError("leadership is moving between managers");
  let res: Response;
  try {
    res = await askLeader(req, leader, via);
  } catch (e) {
    // The leader is gone: when this manager also sees no quorum left, say that rather than "no leader".
    const quorum = leaderless();
    throw e instanceof ManagerError && e.code === "SHOAL_ERR_NO_LEADER" && quorum.code === "SHOAL_ERR_NO_QUORUM"
      ? quorum
      : e;
  }
  const text = await res.text();
  const cache = res.headers.get("cache-control");
  if (cache) void reply.header("cache-control", cache);
  return reply
    .status(res.status)
    .header("content-type", res.headers.get("content-type") ?? "application/json")
    .send(text);
}

/**
 * `cluster status` on a follower: the leader's answer when it gives one (it knows every member's progress),
 * else this manager's own view, saying why.
 */
async function clusterStatusVia(
  o: ApiServerOptions,
  req: FastifyRequest,
  reply: FastifyReply,
  via: LeaderFetch,
): Promise<FastifyReply> {
  const leader = o.leaderApi?.();
  let problem: string | undefined;
  if (leader && !req.headers["x-shoal-forwarded"]) {
    try {
      const res = await askLeader(req, leader, via, AbortSignal.timeout(o.requestTimeoutMs ?? 5_000));
      if (res.ok)
        return reply
          .status(200)
          .header("content-type", "application/json")
          .send(await res.text());
      problem = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (e) {
      problem = (e as Error).message;
    }
  }
  return reply
    .status(200)
    .send(buildClusterStatus(raftView(o), o.store.state.cluster()?.managers ?? [], o.info().managerAddr, problem));
}

/** How this manager reaches the leader's API: over HTTPS with its certificate, or plain HTTP. */
interface LeaderFetch {
  readonly scheme: "http" | "https";
  readonly fetch: typeof fetch;
}

/** Sends the request on to the leader's API, marked as forwarded so it is not forwarded again. */
async function askLeader(
  req: FastifyRequest,
  leader: string,
  via: LeaderFetch,
  signal?: AbortSignal,
): Promise<Response> {
  // A content type without a body (DELETE) makes the leader refuse the request as an empty JSON body.
  const caller = forwardedFor(callerOf(req));
  const headers: Record<string, string> = {
    "x-shoal-forwarded": "1",
    // Who the request is for: the leader believes it only from a manager's certificate (effectiveCaller).
    ...(caller !== undefined ? { [FORWARDED_FOR]: caller } : {}),
  };
  const init: RequestInit =
    req.body !== undefined
      ? {
          method: req.method,
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify(req.body),
        }
      : { method: req.method, headers };
  try {
    return await via.fetch(`${via.scheme}://${leader}${req.url}`, signal ? { ...init, signal } : init);
  } catch (e) {
    const cause = (e as Error).cause as (Error & { code?: string }) | undefined;
    const why = cause?.message ?? (e as Error).message;
    // A failed TLS handshake (the leader's certificate refused) happens before any byte of the request is sent.
    const tlsFailure = classifyTlsFailure(e);
    if (tlsFailure) throw noLeaderError(`the leader at ${leader} failed the TLS check: ${tlsFailure.detail}`);
    // Refused before anything was sent: safe for the client to try elsewhere. Otherwise a write may have landed.
    if (req.method === "GET" || (cause?.code !== undefined && NOT_SENT.has(cause.code)))
      throw noLeaderError(`the leader at ${leader} cannot be reached (${why})`);
    throw new ManagerError(
      "SHOAL_ERR_LEADER_LOST",
      `the leader at ${leader} stopped answering while handling the request (${why}): it may or may not have been applied`,
      { hint: "check with an inspect or list command before retrying" },
    );
  }
}

/** Connection errors that happen before a request is sent. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
]);
