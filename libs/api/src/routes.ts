// Over 400 lines: this is the one route table the server, the OpenAPI document and the typed client are all
// built from; keeping every route in one place is the point of it.
import { z } from "zod";
import { ClusterSchema, ManagerJoinReplySchema, ManagerJoinRequestSchema } from "./cluster.js";
import { ClusterStatusSchema } from "./cluster-status.js";
import { IdSchema } from "./common.js";
import { NetworkSchema, NetworkSpecSchema } from "./network.js";
import { NodeSchema, NodeSpecSchema } from "./node.js";
import { ServiceSchema, ServiceSpecSchema } from "./service.js";
import { TaskSchema } from "./task.js";
import { TaskStateSchema } from "./task-state.js";
import { UserCreatedSchema, UserCreateRequestSchema, UserInfoSchema } from "./user.js";

/** Every error the API returns: HTTP status plus this body. */
export const ErrorBodySchema = z.object({
  error: z.object({
    /** Stable code, `SHOAL_ERR_*`. */
    code: z.string(),
    message: z.string(),
    /** For validation errors: each wrong field (dotted path) and what to do. */
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    /** What the user can do about it ("retry", "start a manager", ...). */
    hint: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A reference to an object in a path: its id, a unique id prefix, or (services, networks, nodes, users) its name. */
const RefParams = z.object({ ref: z.string().min(1) });

/** A service with counts of its tasks, as `service ls` shows it. */
export const ServiceWithStatusSchema = ServiceSchema.extend({
  serviceStatus: z.object({
    runningTasks: z.number().int(),
    desiredTasks: z.number().int(),
    completedTasks: z.number().int(),
  }),
});
export type ServiceWithStatus = z.infer<typeof ServiceWithStatusSchema>;

/** What a manager says about itself and the cluster. */
export const InfoSchema = z.object({
  version: z.string(),
  clusterId: z.string(),
  nodeId: z.string(),
  managerAddr: z.string(),
  raft: z.object({
    leader: z.boolean(),
    leaderId: z.string().optional(),
    leaderApiAddr: z.string().optional(),
    term: z.number().int(),
    commitIndex: z.number().int(),
    appliedIndex: z.number().int(),
  }),
  counts: z.object({ nodes: z.number().int(), services: z.number().int(), tasks: z.number().int() }),
});
export type Info = z.infer<typeof InfoSchema>;

/**
 * What a joining node sends: its join token and a certificate signing request for the key it made (only the
 * CSR's public key is used: who the certificate names comes from the cluster), and what it is.
 */
export const JoinRequestSchema = z.object({
  token: z.string().min(1, "give the join token printed by `shoal cluster init`"),
  csr: z
    .string()
    .min(1, "give a PEM certificate signing request for the node's key")
    .max(8192, "a certificate signing request is at most a few hundred bytes: this is not one"),
  /** The node as it describes itself (its agent updates this when it registers). */
  node: NodeSchema.shape.description.pick({ hostname: true, platform: true, resources: true }).optional(),
});
export type JoinRequest = z.infer<typeof JoinRequestSchema>;

/**
 * What a joining node learns: the node id the cluster gave it, its role, its certificate and the cluster's
 * trust bundle, where the bus and the managers are, and the leader's clock (to name a skew).
 */
export const JoinInfoSchema = z.object({
  clusterId: z.string(),
  nodeId: IdSchema,
  role: z.enum(["manager", "worker"]),
  /** The node's agent certificate, leaf first, then the CA certificates up to the root (PEM). */
  certificate: z.string(),
  /** The trust bundle: the cluster's root certificates (PEM). */
  trust: z.string(),
  /** NATS URLs of every manager's bus server. */
  natsUrls: z.array(z.string()).min(1),
  /** API addresses (host:port) of the managers. */
  managers: z.array(z.string()).min(1),
  /** The leader's clock when it answered (RFC 3339). */
  time: z.string().datetime(),
});
export type JoinInfo = z.infer<typeof JoinInfoSchema>;

export const VersionedNodeSpecSchema = z.object({ version: z.number().int().nonnegative(), spec: NodeSpecSchema });
export const VersionedServiceSpecSchema = z.object({
  version: z.number().int().nonnegative(),
  spec: ServiceSpecSchema,
});
export const ScaleRequestSchema = z.object({
  replicas: z.number().int().nonnegative().max(100_000),
  version: z.number().int().nonnegative().optional(),
});

const BoolQuery = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const LogsQuerySchema = z.object({
  /** Lines from the end of each task's log. */
  tail: z.coerce.number().int().nonnegative().optional(),
  /** RFC 3339 time or seconds since the epoch. */
  since: z.string().optional(),
  follow: BoolQuery.optional(),
  timestamps: BoolQuery.optional(),
});
export type LogsQuery = z.infer<typeof LogsQuerySchema>;

/** One log line, as the logs routes stream them (newline-delimited JSON). */
export const LogLineSchema = z.object({
  taskId: z.string(),
  serviceId: z.string(),
  slot: z.number().int().optional(),
  nodeId: z.string(),
  stream: z.enum(["stdout", "stderr"]),
  time: z.string(),
  line: z.string(),
});
export type LogLine = z.infer<typeof LogLineSchema>;

/**
 * A node asks for a certificate of its own: its agent certificate renewed, or (a node whose role is manager)
 * its manager certificate, naming the addresses it serves at. The caller's certificate says which node.
 */
export const NodeCertificateRequestSchema = z.object({
  kind: z.enum(["agent", "manager"]),
  csr: z
    .string()
    .min(1, "give a PEM certificate signing request for the key")
    .max(8192, "a certificate signing request is at most a few hundred bytes: this is not one"),
  /** IP addresses or DNS names the manager serves at (manager certificates only). */
  addresses: z
    .array(z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, "an IP address or a DNS name"))
    .max(8)
    .optional(),
});
export type NodeCertificateRequest = z.infer<typeof NodeCertificateRequestSchema>;

/** A certificate the cluster issued: the chain (leaf first, PEM) and the trust bundle (roots, PEM). */
export const IssuedCertificateSchema = z.object({ certificate: z.string(), trust: z.string() });
export type IssuedCertificateAnswer = z.infer<typeof IssuedCertificateSchema>;

/** The join tokens, `SHLTKN-1-<root digest>-<secret>`: whoever holds one may join a node in that role. */
export const JoinTokensSchema = z.object({ worker: z.string(), manager: z.string() });
export type JoinTokens = z.infer<typeof JoinTokensSchema>;

/** Which role's join secret to replace. */
export const JoinTokensRotateSchema = z.object({ role: z.enum(["worker", "manager"]) });

/** What the dashboard's sign-in sends: a user's access token (the file `cluster init` or `user create` wrote). */
export const SessionCreateSchema = z.object({
  accessToken: z
    .string()
    .trim()
    .min(
      1,
      "give the access token: the file <data-dir>/admin/access-token, or the one `shoal cluster user create` wrote",
    )
    .max(512, "an access token is 52 characters: this is not one"),
});
export type SessionCreate = z.infer<typeof SessionCreateSchema>;

/** One change of the store, as the event stream sends it. */
export const StoreEventSchema = z.object({
  index: z.number().int(),
  op: z.enum(["create", "update", "delete"]),
  kind: z.enum(["cluster", "node", "network", "service", "task"]),
  id: z.string(),
  object: z.unknown(),
});
export type ApiStoreEvent = z.infer<typeof StoreEventSchema>;

/**
 * Who may call a route (docs/design/trust.md §4.6), checked by every manager before the request is read or
 * forwarded: without a credential 401, with one whose role may not call the route 403.
 * - `public`: anyone; the body carries the credential (the join token).
 * - `read`: users (admin and read-only), the managers' own certificates, root on a manager (its local socket).
 * - `admin`: admin users and root on a manager.
 * - `self`: a node's own agent or manager certificate (the route acts on that node only).
 * - `manager`: the manager certificate of a node whose role is manager.
 */
export type RouteAccess = "public" | "read" | "admin" | "self" | "manager";

/** Every {@link RouteAccess}, in the order the OpenAPI document and the tests list them. */
export const ROUTE_ACCESS: readonly RouteAccess[] = ["public", "read", "admin", "self", "manager"];

/** A route of the REST API: the single description that drives the server, the OpenAPI document and the client. */
export interface RouteDef {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Fastify-style path, `:name` for parameters. */
  path: string;
  summary: string;
  tag: "cluster" | "nodes" | "services" | "tasks" | "networks" | "events" | "session";
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Status of a success; 204 means no body. */
  status: 200 | 201 | 204;
  /** The success body; `stream` routes send newline-delimited JSON (logs) or server-sent events. */
  response?: z.ZodType;
  stream?: "ndjson" | "sse";
  /**
   * The answer holds a secret: the join tokens (the only route that does). Sent with `cache-control: no-store`;
   * no other route may answer one.
   */
  returnsSecret?: true;
  /** Who may call it (docs/design/trust.md §4.6); the server refuses everyone else before reading a body. */
  access: RouteAccess;
}

/**
 * `stale=true` on a read: answer from this manager's local state without a read barrier, even without a leader
 * (may miss the latest writes). By default reads are linearizable.
 */
const Stale = {
  stale: BoolQuery.optional().describe(
    "Answer from this manager's local state, without a read barrier and even without a leader; may miss recent writes",
  ),
};
const StaleQuery = z.object(Stale);

/** Every route of the API, by operation name. */
export const ROUTES = {
  info: {
    access: "read",
    method: "GET",
    path: "/v1/info",
    summary: "This manager, the leader and counts (always this manager's local view)",
    tag: "cluster",
    status: 200,
    response: InfoSchema,
  },
  clusterInspect: {
    access: "read",
    method: "GET",
    path: "/v1/cluster",
    summary: "The cluster object (it holds no secret: join tokens are shown by GET /v1/cluster/join-tokens)",
    tag: "cluster",
    query: StaleQuery,
    status: 200,
    response: ClusterSchema,
  },
  clusterStatus: {
    access: "read",
    method: "GET",
    path: "/v1/cluster/status",
    summary:
      "The managers, the leader, term and commit index, and each manager's reachability and lag as the leader sees them (any manager answers; without a leader, its own view)",
    tag: "cluster",
    status: 200,
    response: ClusterStatusSchema,
  },
  joinTokens: {
    access: "admin",
    method: "GET",
    path: "/v1/cluster/join-tokens",
    summary: "The join tokens of both roles: the current root's digest and each role's secret",
    tag: "cluster",
    query: StaleQuery,
    status: 200,
    response: JoinTokensSchema,
    returnsSecret: true,
  },
  joinTokensRotate: {
    access: "admin",
    method: "POST",
    path: "/v1/cluster/join-tokens/rotate",
    summary: "Give a role a new join secret: its old token is refused at once (nodes already joined are not affected)",
    tag: "cluster",
    body: JoinTokensRotateSchema,
    status: 204,
  },
  userCreate: {
    access: "admin",
    method: "POST",
    path: "/v1/users",
    summary:
      "Create a user of the API: the leader signs a user certificate for the CSR's key and records it with the user before it answers (the access token's hash only, never the token)",
    tag: "cluster",
    body: UserCreateRequestSchema,
    status: 201,
    response: UserCreatedSchema,
  },
  userList: {
    access: "admin",
    method: "GET",
    path: "/v1/users",
    summary: "List the API's users with their roles and certificates (never their access tokens' hashes)",
    tag: "cluster",
    query: StaleQuery,
    status: 200,
    response: z.array(UserInfoSchema),
  },
  userRemove: {
    access: "admin",
    method: "DELETE",
    path: "/v1/users/:ref",
    summary:
      "Remove a user by id, id prefix or name: its certificate and access token are refused at once (the last admin user cannot be removed)",
    tag: "cluster",
    params: RefParams,
    status: 204,
  },
  clusterJoin: {
    access: "public",
    method: "POST",
    path: "/v1/cluster/join",
    summary: "Exchange a join token for what a new node needs to connect",
    tag: "cluster",
    body: JoinRequestSchema,
    status: 200,
    response: JoinInfoSchema,
  },
  clusterManagerJoin: {
    access: "manager",
    method: "POST",
    path: "/v1/cluster/managers",
    summary: "Add a manager: it joins Raft as a learner and is made a voter once it has caught up",
    tag: "cluster",
    body: ManagerJoinRequestSchema,
    status: 200,
    response: ManagerJoinReplySchema,
  },
  nodeList: {
    access: "read",
    method: "GET",
    path: "/v1/nodes",
    summary: "List nodes",
    tag: "nodes",
    query: z.object({ role: z.enum(["manager", "worker"]).optional(), ...Stale }),
    status: 200,
    response: z.array(NodeSchema),
  },
  nodeInspect: {
    access: "read",
    method: "GET",
    path: "/v1/nodes/:ref",
    summary: "One node by id, id prefix or hostname",
    tag: "nodes",
    params: RefParams,
    query: StaleQuery,
    status: 200,
    response: NodeSchema,
  },
  nodeCertificate: {
    access: "self",
    method: "POST",
    path: "/v1/nodes/self/certificate",
    summary:
      "Issue the calling node a certificate of its own (its client certificate says which node): an agent certificate, or a manager certificate for a node whose role is manager",
    tag: "nodes",
    body: NodeCertificateRequestSchema,
    status: 200,
    response: IssuedCertificateSchema,
  },
  nodeUpdate: {
    access: "admin",
    method: "POST",
    path: "/v1/nodes/:ref/update",
    summary: "Replace a node's spec (availability, labels, role); `version` must be the node's current version",
    tag: "nodes",
    params: RefParams,
    body: VersionedNodeSpecSchema,
    status: 200,
    response: NodeSchema,
  },
  nodeRemove: {
    access: "admin",
    method: "DELETE",
    path: "/v1/nodes/:ref",
    summary: "Remove a node that is down (or any node with force=true)",
    tag: "nodes",
    params: RefParams,
    query: z.object({ force: BoolQuery.optional() }),
    status: 204,
  },
  serviceList: {
    access: "read",
    method: "GET",
    path: "/v1/services",
    summary: "List services with their task counts",
    tag: "services",
    query: StaleQuery,
    status: 200,
    response: z.array(ServiceWithStatusSchema),
  },
  serviceCreate: {
    access: "admin",
    method: "POST",
    path: "/v1/services",
    summary: "Create a service",
    tag: "services",
    body: ServiceSpecSchema,
    status: 201,
    response: ServiceSchema,
  },
  serviceInspect: {
    access: "read",
    method: "GET",
    path: "/v1/services/:ref",
    summary: "One service by id, id prefix or name",
    tag: "services",
    params: RefParams,
    query: StaleQuery,
    status: 200,
    response: ServiceWithStatusSchema,
  },
  serviceUpdate: {
    access: "admin",
    method: "POST",
    path: "/v1/services/:ref/update",
    summary: "Replace a service's spec (a rolling update of its tasks); `version` must be the current version",
    tag: "services",
    params: RefParams,
    body: VersionedServiceSpecSchema,
    status: 200,
    response: ServiceSchema,
  },
  serviceScale: {
    access: "admin",
    method: "POST",
    path: "/v1/services/:ref/scale",
    summary: "Set a replicated service's replica count",
    tag: "services",
    params: RefParams,
    body: ScaleRequestSchema,
    status: 200,
    response: ServiceSchema,
  },
  serviceRollback: {
    access: "admin",
    method: "POST",
    path: "/v1/services/:ref/rollback",
    summary: "Return a service to its spec before the last update (a rolling update with its rollback config)",
    tag: "services",
    params: RefParams,
    status: 200,
    response: ServiceSchema,
  },
  serviceRemove: {
    access: "admin",
    method: "DELETE",
    path: "/v1/services/:ref",
    summary: "Remove a service and its tasks",
    tag: "services",
    params: RefParams,
    status: 204,
  },
  serviceLogs: {
    access: "read",
    method: "GET",
    path: "/v1/services/:ref/logs",
    summary: "Log lines of every task of a service (newline-delimited JSON)",
    tag: "services",
    params: RefParams,
    query: LogsQuerySchema.extend(Stale),
    status: 200,
    response: LogLineSchema,
    stream: "ndjson",
  },
  taskList: {
    access: "read",
    method: "GET",
    path: "/v1/tasks",
    summary: "List tasks",
    tag: "tasks",
    query: z.object({
      service: z.string().optional(),
      node: z.string().optional(),
      desiredState: TaskStateSchema.optional(),
      ...Stale,
    }),
    status: 200,
    response: z.array(TaskSchema),
  },
  taskInspect: {
    access: "read",
    method: "GET",
    path: "/v1/tasks/:ref",
    summary: "One task by id or id prefix",
    tag: "tasks",
    params: RefParams,
    query: StaleQuery,
    status: 200,
    response: TaskSchema,
  },
  taskLogs: {
    access: "read",
    method: "GET",
    path: "/v1/tasks/:ref/logs",
    summary: "Log lines of one task (newline-delimited JSON)",
    tag: "tasks",
    params: RefParams,
    query: LogsQuerySchema.extend(Stale),
    status: 200,
    response: LogLineSchema,
    stream: "ndjson",
  },
  networkList: {
    access: "read",
    method: "GET",
    path: "/v1/networks",
    summary: "List networks",
    tag: "networks",
    query: StaleQuery,
    status: 200,
    response: z.array(NetworkSchema),
  },
  networkCreate: {
    access: "admin",
    method: "POST",
    path: "/v1/networks",
    summary: "Create a network",
    tag: "networks",
    body: NetworkSpecSchema,
    status: 201,
    response: NetworkSchema,
  },
  networkInspect: {
    access: "read",
    method: "GET",
    path: "/v1/networks/:ref",
    summary: "One network by id, id prefix or name",
    tag: "networks",
    params: RefParams,
    query: StaleQuery,
    status: 200,
    response: NetworkSchema,
  },
  networkRemove: {
    access: "admin",
    method: "DELETE",
    path: "/v1/networks/:ref",
    summary: "Remove a network no service uses",
    tag: "networks",
    params: RefParams,
    status: 204,
  },
  sessionCreate: {
    access: "public",
    method: "POST",
    path: "/v1/session",
    summary:
      "Sign in to the dashboard with a user's access token: answers with an HttpOnly session cookie (shoal_session, 12 hours) valid on this manager only; 10 failed attempts per minute per address, then 429",
    tag: "session",
    body: SessionCreateSchema,
    status: 204,
  },
  sessionDelete: {
    access: "read",
    method: "DELETE",
    path: "/v1/session",
    summary: "Sign out of the dashboard: ends the session of the request's cookie and clears the cookie",
    tag: "session",
    status: 204,
  },
  events: {
    access: "read",
    method: "GET",
    path: "/v1/events",
    summary: "Server-sent events: every store change from now (or after `since`, a store index)",
    tag: "events",
    query: z.object({
      since: z.coerce.number().int().nonnegative().optional(),
      kind: z.enum(["cluster", "node", "network", "service", "task"]).optional(),
    }),
    status: 200,
    response: StoreEventSchema,
    stream: "sse",
  },
} as const satisfies Record<string, RouteDef>;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

type Field<R, K extends string> = R extends Record<K, infer S> ? (S extends z.ZodType ? z.input<S> : never) : undefined;
type Out<R> = R extends { response: infer S } ? (S extends z.ZodType ? z.output<S> : void) : void;

/** What a call of route `N` takes. */
export type RouteInput<N extends RouteName> = {
  params: Field<Routes[N], "params">;
  query: Field<Routes[N], "query">;
  body: Field<Routes[N], "body">;
};
/** What a call of route `N` returns (for stream routes: one item). */
export type RouteOutput<N extends RouteName> = Out<Routes[N]>;

/** The id of an object as `ref` in a path: ids are `[a-z0-9]`, so anything else is a name. */
export const isIdLike = (ref: string): boolean => IdSchema.safeParse(ref).success;
