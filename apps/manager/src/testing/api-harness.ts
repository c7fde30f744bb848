// An API server on an in-memory store, and helpers to call it, for the API's tests.
import assert from "node:assert/strict";
import { TLSSocket } from "node:tls";
import type { TestContext } from "node:test";
import type { FastifyInstance } from "fastify";
import { SHOAL_VERSION, ShoalClient, type ErrorBody, type Info } from "@shoal/api";
import { StoreMachine } from "@shoal/store";
import { ClusterStore, LocalConsensus } from "../store/cluster-store.js";
import { seededStore, serviceSpec } from "./fixtures.js";
import type { ApiContext, LogSource } from "../api/handlers.js";
import { buildApiServer } from "../api/server.js";
import { caSigner } from "../ca-signer.js";
import type { ApiTls } from "../api/tls-server.js";
import type { Caller } from "../api/caller.js";
import type { LoopLog } from "../log.js";

/** An API server under test, its store and consensus, and a way to get a client of it. */
export interface Api {
  app: FastifyInstance;
  store: ClusterStore;
  consensus: LocalConsensus;
  /** Listens on a free loopback port; resolves with a client of it. */
  client: () => Promise<ShoalClient>;
  /** Who calls injected (and plain HTTP) requests from now on; default {@link LOCAL_ADMIN}. */
  caller: Caller;
}

/** The info object of a one-manager cluster that leads. */
export const info = (store: ClusterStore): Info => ({
  version: SHOAL_VERSION,
  clusterId: "c1",
  nodeId: "1",
  managerAddr: "127.0.0.1:7070",
  raft: { leader: true, term: 1, commitIndex: store.state.appliedIndex, appliedIndex: store.state.appliedIndex },
  counts: {
    nodes: store.state.list("node").length,
    services: store.state.list("service").length,
    tasks: store.state.list("task").length,
  },
});

/** Root on node n1 through its manager's local socket: an admin, the default caller of injected requests. */
export const LOCAL_ADMIN: Caller = Object.freeze({ kind: "local", nodeId: "n1" });

/** A log source with no lines. */
export const noLogs: LogSource = async function* () {};

/** An API server on a store with a cluster, node n1 (ready) and n2 (down), and service web. */
export async function api(
  t: TestContext,
  o: {
    leader?: boolean;
    leaderApi?: string;
    logs?: LogSource;
    removeManager?: ApiContext["removeManager"];
    joinManager?: ApiContext["joinManager"];
    /** Serve HTTPS with these certificates (see apps/manager/src/testing/tls-api.ts). */
    tls?: ApiTls;
    clock?: () => number;
    /**
     * Who calls injected requests (and requests over plain HTTP); default root on node n1 (an admin). Over
     * TLS, the client certificate says who calls.
     */
    caller?: Caller;
    /** Where the API logs (sign-ins); default nowhere. */
    log?: LoopLog;
  } = {},
): Promise<Api> {
  const machine = new StoreMachine();
  const consensus = new LocalConsensus(machine);
  const store = await seededStore({
    store: new ClusterStore(machine, consensus),
    nodes: ["n1", ["n2", { state: "down" }]],
    services: [["web", serviceSpec("web")]],
  });
  consensus.leader = o.leader ?? true;
  const app = await buildApiServer({
    store,
    info: () => info(store),
    logs: o.logs ?? noLogs,
    version: SHOAL_VERSION,
    leaderApi: () => o.leaderApi,
    ...(o.removeManager ? { removeManager: o.removeManager } : {}),
    ...(o.joinManager ? { joinManager: o.joinManager } : {}),
    issueCertificate: caSigner(() => store.state.secrets()),
    ...(o.tls ? { tls: o.tls } : {}),
    // Injected and plain-HTTP requests are `caller`'s; over TLS the client certificate says who calls.
    authenticate: (req) => (req.raw.socket instanceof TLSSocket ? undefined : result.caller),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  t.after(() => app.close());
  const client = async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === "object");
    return new ShoalClient({ managers: [`127.0.0.1:${addr.port}`], timeoutMs: 5_000 });
  };
  const result: Api = { app, store, consensus, client, caller: o.caller ?? LOCAL_ADMIN };
  return result;
}

/** A request to inject. */
export type Request = {
  method: "GET" | "POST" | "DELETE";
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
};

/** Injects a request; resolves with its status and parsed body. */
export async function call(a: Api, r: Request): Promise<{ status: number; body: unknown }> {
  const res = await a.app.inject({
    method: r.method,
    url: r.url,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.body !== undefined ? { payload: r.body as object } : {}),
  });
  return { status: res.statusCode, body: res.body === "" ? undefined : (JSON.parse(res.body) as unknown) };
}

/** Injects a request that must fail with `status`; resolves with its error body. */
export async function error(a: Api, r: Request, status: number): Promise<ErrorBody["error"]> {
  const res = await call(a, r);
  assert.equal(res.status, status, `${r.method} ${r.url}: ${JSON.stringify(res.body)}`);
  return (res.body as ErrorBody).error;
}

/** The stored version of an object, -1 when absent. */
export const versionOf = (a: Api, kind: "node" | "service", id: string): number =>
  a.store.state.get(kind, id)?.version ?? -1;
