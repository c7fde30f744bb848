import {
  ClusterSchema,
  isTerminal,
  serviceTaskCounts,
  type Info,
  type JoinInfo,
  type JoinRequest,
  type NodeCertificateRequest,
  type ManagerJoinReply,
  type ManagerJoinRequest,
  type LogLine,
  type LogsQuery,
  type NetworkSpec,
  type Node,
  type RouteInput,
  type RouteName,
  type RouteOutput,
  type Service,
  type ServiceSpec,
  type ServiceWithStatus,
  type Task,
  type UserCreateRequest,
} from "@shoal/api";
import { updateOf, VersionConflictError, withoutMeta, type Command, type StoreState } from "@shoal/store";
import { joinPem, type LeafRequest } from "@shoal/trust";
import type { IssuedCertificate } from "@shoal/trust/pki";
import { newId } from "../ids.js";
import type { ClusterStore, ReadOptions } from "../store/cluster-store.js";
import { ManagerError } from "../errors.js";
import {
  checkNetworkUnused,
  checkSingleIngress,
  newService,
  rolledBackService,
  scaledService,
  updatedService,
} from "../model/services.js";
import { joinTokensOf, newStoredJoinSecret } from "../join-token.js";
import { admitJoin, certificateRecord, joinedNodeCommand, withCertificate } from "../join-admission.js";
import { callingNode } from "./caller-node.js";
import type { Caller } from "./caller.js";
import { buildClusterStatus } from "./cluster-status.js";
import { withManagerStatus } from "./manager-status.js";
import { soloView, type RaftView } from "./raft-view.js";
import { resolveNetwork, resolveNode, resolveService, resolveTask } from "./resolve.js";
import { clusterOf, readState, secretsOf } from "./store-reads.js";
import { userHandlers } from "./user-routes.js";

export { readState } from "./store-reads.js";

/** Reads log lines of a task from its node. */
export type LogSource = (task: Task, q: LogsQuery, signal: AbortSignal) => AsyncIterable<LogLine>;

export interface ApiContext {
  store: ClusterStore;
  info: () => Info;
  logs: LogSource;
  clock?: () => number;
  /** This manager's view of consensus (default: a single manager that leads while the store does). */
  raft?: () => RaftView;
  /** How this request reads the store: linearizable within the request timeout, or stale. Set per request. */
  readOptions?: ReadOptions;
  /** Adds a manager to Raft (on the leader); absent where the manager has no Raft node (tests). */
  joinManager?: (req: ManagerJoinRequest & { nodeId: string }) => Promise<ManagerJoinReply>;
  /**
   * Removes the manager of the node at `nodeAddr` from Raft (on the leader), with quorum checks unless forced,
   * writing `alsoWrite` with its unlisting; resolves false when the node's manager was not listed.
   */
  removeManager?: (nodeAddr: string, force: boolean, alsoWrite?: readonly Command[]) => Promise<boolean>;
  /**
   * Issues a certificate for a CSR's key naming what `request` says, valid for `validityMs` when given (the
   * cluster CA's signer, on the leader); absent where the manager cannot sign (then joins are refused as not
   * ready).
   */
  issueCertificate?: (request: LeafRequest, csr: string, validityMs?: number) => Promise<IssuedCertificate>;
  /** Who calls (set per request from its client certificate, or the identity a manager forwards for). */
  caller?: Caller;
}

/** The time of this request, from the injected clock. */
const now = (ctx: ApiContext): number => (ctx.clock ?? Date.now)();

/** This manager's view of consensus. */
export const raftView = (ctx: ApiContext): RaftView => ctx.raft?.() ?? soloView(ctx.store.isLeader());

/** Parsed input of a route, as handlers get it. */
export type Parsed<N extends RouteName> = {
  params: RouteInput<N>["params"] extends undefined ? undefined : { ref: string };
  query: N extends keyof QueryOut ? QueryOut[N] : undefined;
  body: N extends keyof BodyOut ? BodyOut[N] : undefined;
};
type QueryOut = {
  nodeList: { role?: "manager" | "worker"; stale?: boolean };
  nodeRemove: { force?: boolean };
  serviceLogs: LogsQuery & { stale?: boolean };
  taskLogs: LogsQuery & { stale?: boolean };
  taskList: { service?: string; node?: string; desiredState?: Task["desiredState"]; stale?: boolean };
  events: { since?: number; kind?: string };
};
type BodyOut = {
  clusterJoin: JoinRequest;
  joinTokensRotate: { role: "worker" | "manager" };
  clusterManagerJoin: ManagerJoinRequest;
  nodeCertificate: NodeCertificateRequest;
  nodeUpdate: { version: number; spec: Node["spec"] };
  serviceCreate: ServiceSpec;
  serviceUpdate: { version: number; spec: ServiceSpec };
  serviceScale: { replicas: number; version?: number };
  networkCreate: NetworkSpec;
  userCreate: UserCreateRequest;
};

type Handler<N extends RouteName> = (ctx: ApiContext, input: Parsed<N>) => Promise<RouteOutput<N>>;
type StreamRoutes = "serviceLogs" | "taskLogs" | "events";
/** Routes the server answers itself, with the reply: the dashboard's sessions (`api/dashboard-sessions.ts`). */
type SessionRoutes = "sessionCreate" | "sessionDelete";
export type Handlers = { [N in Exclude<RouteName, StreamRoutes | SessionRoutes>]: Handler<N> };

/** Tasks counts of a service for `service ls`. */
export function withStatus(state: StoreState, s: Service): ServiceWithStatus {
  return { ...s, serviceStatus: serviceTaskCounts(s, state.tasksOfService(s.id)) };
}

/** Retries a read-modify-write on version conflicts (for requests that did not name a version). */
async function retrying<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i < 5 && e instanceof VersionConflictError) continue;
      throw e;
    }
  }
}

async function writeOne<T>(ctx: ApiContext, command: Command, kind: string, id: string): Promise<T> {
  await ctx.store.write([command]);
  const o = ctx.store.state.get(kind as "service", id);
  return o as T;
}

export const handlers: Handlers = {
  info: (ctx) => Promise.resolve(ctx.info()),
  clusterInspect: async (ctx) => ClusterSchema.parse(clusterOf(await readState(ctx))),
  // Local by design: it must answer without a leader (the server asks the leader first when there is one).
  clusterStatus: (ctx) =>
    Promise.resolve(
      buildClusterStatus(raftView(ctx), ctx.store.state.cluster()?.managers ?? [], ctx.info().managerAddr),
    ),
  joinTokens: async (ctx) => {
    const state = await readState(ctx);
    return joinTokensOf(clusterOf(state), secretsOf(state));
  },
  joinTokensRotate: (ctx, { body }) =>
    retrying(async () => {
      const secrets = secretsOf(await ctx.store.read());
      await ctx.store.write([
        updateOf("secret", secrets, { join: { ...secrets.join, [body.role]: newStoredJoinSecret() } }),
      ]);
    }),
  clusterJoin: async (ctx, { body }) => {
    // Runs on the leader (a follower forwards every POST): the node object and the record of its certificate
    // are written in one Raft write, and the answer leaves only once it is committed.
    const state = await readState(ctx);
    const cluster = clusterOf(state);
    const secrets = secretsOf(state);
    const admission = admitJoin(cluster, secrets, body.token, () => newId(now(ctx)));
    if (!ctx.issueCertificate)
      throw new ManagerError("SHOAL_ERR_NOT_READY", "this manager cannot issue certificates", {
        hint: "retry against another manager",
      });
    const issued = await ctx.issueCertificate(admission.request, body.csr);
    const digest = cluster.ca.rootDigests[0] ?? "";
    await ctx.store.write([joinedNodeCommand(admission, body.node, [certificateRecord("agent", issued, digest)])]);
    const info: JoinInfo = {
      clusterId: ctx.info().clusterId,
      nodeId: admission.nodeId,
      role: admission.role,
      certificate: joinPem(issued.chain),
      trust: joinPem(secrets.ca.roots),
      natsUrls: cluster.managers.map((m) => m.natsUrl),
      managers: cluster.managers.map((m) => m.apiAddr),
      time: new Date(now(ctx)).toISOString(),
    };
    return info;
  },
  clusterManagerJoin: async (ctx, { body }) => {
    const state = await readState(ctx);
    const nodeId = callingNode(ctx, state, { role: "manager", certificate: "manager" }, "join the managers");
    if (!ctx.joinManager)
      throw new ManagerError("SHOAL_ERR_NOT_READY", "this manager cannot add managers", {
        hint: "retry against another manager",
      });
    return ctx.joinManager({ ...body, nodeId });
  },
  nodeCertificate: async (ctx, { body }) => {
    const state = await readState(ctx);
    const cluster = clusterOf(state);
    const secrets = secretsOf(state);
    const nodeId = callingNode(
      ctx,
      state,
      body.kind === "manager" ? { role: "manager" } : {},
      `get a ${body.kind} certificate`,
    );
    if (!ctx.issueCertificate)
      throw new ManagerError("SHOAL_ERR_NOT_READY", "this manager cannot issue certificates", {
        hint: "retry against another manager",
      });
    const clusterId = cluster.id.toLowerCase();
    const issued = await ctx.issueCertificate(
      body.kind === "manager"
        ? { kind: "manager", clusterId, nodeId, addresses: body.addresses ?? [] }
        : { kind: "agent", clusterId, nodeId },
      body.csr,
    );
    const record = certificateRecord(body.kind, issued, cluster.ca.rootDigests[0] ?? "");
    await ctx.store.write([withCertificate(resolveNode(state, nodeId), record)]);
    return { certificate: joinPem(issued.chain), trust: joinPem(secrets.ca.roots) };
  },
  nodeList: async (ctx, { query }) => {
    const nodes = (await readState(ctx)).list("node").filter((n) => !query.role || n.spec.role === query.role);
    return nodes.map((n) => withManagerStatus(n, ctx.store.state.cluster()?.managers ?? [], raftView(ctx)));
  },
  nodeInspect: async (ctx, { params }) =>
    withManagerStatus(
      resolveNode(await readState(ctx), params.ref),
      ctx.store.state.cluster()?.managers ?? [],
      raftView(ctx),
    ),
  nodeUpdate: async (ctx, { params, body }) => {
    const node = resolveNode(await readState(ctx), params.ref);
    // Promoting: the node's agent starts a manager there, which joins as a learner and is promoted once it has
    // caught up (the node is a manager from now on; `shoal cluster status` shows when its manager is a voter).
    // Demoting: its manager is unlisted in the same write as the node's new role, then leaves Raft (refused
    // when the managers left would lose their quorum).
    const update: Command = {
      op: "update",
      kind: "node",
      object: { ...withoutMeta(node), spec: body.spec },
      expectedVersion: body.version,
    };
    if (
      body.spec.role === "worker" &&
      node.spec.role === "manager" &&
      (await ctx.removeManager?.(node.status.addr, false, [update]))
    )
      return ctx.store.state.get("node", node.id) as Node;
    return writeOne(ctx, update, "node", node.id);
  },
  nodeRemove: async (ctx, { params, query }) => {
    const node = resolveNode(await readState(ctx), params.ref);
    if (node.spec.role === "manager" && !query.force) {
      throw new ManagerError("SHOAL_ERR_NODE_IS_MANAGER", `node ${node.description.hostname} is a manager`, {
        hint: "demote it first (`shoal node demote`), or remove it with force=true, which also removes its manager from Raft",
      });
    }
    if (node.status.state === "ready" && !query.force) {
      throw new ManagerError(
        "SHOAL_ERR_NODE_READY",
        `node ${node.description.hostname} is ready: its agent is still connected`,
        { hint: "drain it and stop its agent first (`shoal cluster leave` on it), or remove it with force=true" },
      );
    }
    if (node.spec.role === "manager") await ctx.removeManager?.(node.status.addr, true);
    await ctx.store.write([{ op: "delete", kind: "node", id: node.id, expectedVersion: node.version }]);
  },
  serviceList: async (ctx) => {
    const state = await readState(ctx);
    return state.list("service").map((s) => withStatus(state, s));
  },
  serviceCreate: async (ctx, { body }) =>
    retrying(async () => {
      const id = newId();
      return writeOne(
        ctx,
        { op: "create", kind: "service", object: newService(await readState(ctx), id, body) },
        "service",
        id,
      );
    }),
  serviceInspect: async (ctx, { params }) => {
    const state = await readState(ctx);
    return withStatus(state, resolveService(state, params.ref));
  },
  serviceUpdate: async (ctx, { params, body }) => {
    const state = await readState(ctx);
    const s = resolveService(state, params.ref);
    const object = updatedService(state, s, body.spec, now(ctx));
    return writeOne(ctx, { op: "update", kind: "service", object, expectedVersion: body.version }, "service", s.id);
  },
  serviceRollback: async (ctx, { params }) =>
    retrying(async () => {
      const state = await readState(ctx);
      const s = resolveService(state, params.ref);
      const object = rolledBackService(state, s, now(ctx));
      return writeOne(ctx, { op: "update", kind: "service", object, expectedVersion: s.version }, "service", s.id);
    }),
  serviceScale: async (ctx, { params, body }) =>
    retrying(async () => {
      const s = resolveService(await readState(ctx), params.ref);
      const object = scaledService(s, body.replicas);
      return writeOne(
        ctx,
        { op: "update", kind: "service", object, expectedVersion: body.version ?? s.version },
        "service",
        s.id,
      );
    }),
  serviceRemove: async (ctx, { params }) => {
    const s = resolveService(await readState(ctx), params.ref);
    await ctx.store.write([{ op: "delete", kind: "service", id: s.id }]);
  },
  taskList: async (ctx, { query }) => {
    const state = await readState(ctx);
    let tasks: Task[];
    if (query.service) tasks = state.tasksOfService(resolveService(state, query.service).id);
    else tasks = state.list("task");
    if (query.node) {
      const node = resolveNode(state, query.node);
      tasks = tasks.filter((t) => t.nodeId === node.id);
    }
    if (query.desiredState) tasks = tasks.filter((t) => t.desiredState === query.desiredState);
    return tasks.sort(
      (a, b) =>
        a.serviceId.localeCompare(b.serviceId) ||
        (a.slot ?? 0) - (b.slot ?? 0) ||
        b.createdAt.localeCompare(a.createdAt) ||
        a.id.localeCompare(b.id),
    );
  },
  taskInspect: async (ctx, { params }) => resolveTask(await readState(ctx), params.ref),
  networkList: async (ctx) => (await readState(ctx)).list("network"),
  networkCreate: async (ctx, { body }) => {
    if (body.ingress) checkSingleIngress(await readState(ctx));
    const id = newId();
    return writeOne(ctx, { op: "create", kind: "network", object: { id, spec: body, subnets: [] } }, "network", id);
  },
  networkInspect: async (ctx, { params }) => resolveNetwork(await readState(ctx), params.ref),
  networkRemove: async (ctx, { params }) => {
    const state = await readState(ctx);
    const n = resolveNetwork(state, params.ref);
    checkNetworkUnused(state, n);
    await ctx.store.write([{ op: "delete", kind: "network", id: n.id, expectedVersion: n.version }]);
  },
  ...userHandlers,
};

/** The tasks whose logs a logs request covers: one task, or every task of a service that reached a node. */
export function logTasks(state: StoreState, route: "serviceLogs" | "taskLogs", ref: string): Task[] {
  if (route === "taskLogs") {
    const t = resolveTask(state, ref);
    if (!t.nodeId)
      throw new ManagerError("SHOAL_ERR_NO_LOGS", `task ${t.id} has not been placed on a node, so it has no logs`, {
        hint: "see why with `shoal service ps`",
      });
    return [t];
  }
  const s = resolveService(state, ref);
  return state
    .tasksOfService(s.id)
    .filter(
      (t) => t.nodeId && (t.status.state === "running" || isTerminal(t.status.state) || t.status.state === "starting"),
    )
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.createdAt.localeCompare(b.createdAt));
}
