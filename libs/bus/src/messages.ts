import { z } from "zod";
import { LabelsSchema, PortSchema, TaskSchema, TaskStatusSchema } from "@shoal/api";

/**
 * agent.<node>.register: what an agent says about itself when it (re)connects. Which node it is comes from the
 * subject, where the server's permissions let only that node's agent publish.
 */
export const RegisterRequestSchema = z.object({
  hostname: z.string().min(1),
  addr: z.string().min(1),
  platform: z.object({ os: z.string(), architecture: z.string() }),
  resources: z.object({ cpus: z.number().positive(), memoryBytes: z.number().int().positive() }),
  labels: LabelsSchema.default({}),
  engineVersion: z.string(),
  /** Tasks it is running now (after its own restart it re-adopted them): the manager reconciles with these. */
  running: z.array(z.object({ taskId: z.string(), state: z.string(), containerId: z.string().optional() })).default([]),
});
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

export const RegisterReplySchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    nodeId: z.string(),
    sessionId: z.string(),
    heartbeatPeriodMs: z.number().int().positive(),
  }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type RegisterReply = z.infer<typeof RegisterReplySchema>;

/** agent.<node>.heartbeat and its reply (which may change the period). */
export const HeartbeatSchema = z.object({ sessionId: z.string() });
export const HeartbeatReplySchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), heartbeatPeriodMs: z.number().int().positive() }),
  /** The session is unknown (the manager restarted or lost leadership): register again. */
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);

/**
 * What a node needs to know of the cluster's networks: the networks its tasks join (and `ingress` while any
 * service publishes a port through the routing mesh), every endpoint on them (tasks anywhere, and the nodes'
 * mesh endpoints), and the services found on them by name. Addresses are plain ("10.10.0.5"), prefix lengths
 * come from the network's subnet.
 */
export const NetworkViewSchema = z.object({
  networks: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      vni: z.number().int().positive(),
      subnet: z.string(),
      gateway: z.string(),
      ingress: z.boolean(),
    }),
  ),
  /** This node's own addresses: its routing-mesh endpoint on ingress. */
  nodeAttachments: z.array(z.object({ networkId: z.string(), address: z.string() })),
  endpoints: z.array(
    z.object({
      networkId: z.string(),
      address: z.string(),
      nodeId: z.string(),
      /** The node's underlay address (where VXLAN traffic for this endpoint goes). */
      nodeAddr: z.string(),
      /** Absent for a node's own mesh endpoint. */
      taskId: z.string().optional(),
      serviceId: z.string().optional(),
      /** Running and wanted running: it serves behind VIPs, DNS names and published ports. */
      serving: z.boolean(),
    }),
  ),
  services: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      endpointMode: z.enum(["vip", "dnsrr"]),
      vips: z.array(z.object({ networkId: z.string(), address: z.string() })),
      /** Extra DNS names per network. */
      aliases: z.array(z.object({ networkId: z.string(), names: z.array(z.string()) })),
      ports: z.array(PortSchema.extend({ publishedPort: z.number().int().min(1).max(65535) })),
    }),
  ),
});
export type NetworkView = z.infer<typeof NetworkViewSchema>;

/**
 * The node's role as the managers see it; a manager's node also gets what its agent needs to start the
 * node's manager (promotion): the managers' API addresses (its manager joins with the node's certificate).
 */
export const NodeRoleSchema = z.object({
  role: z.enum(["manager", "worker"]),
  managerJoin: z.object({ managers: z.array(z.string()).min(1) }).optional(),
});
export type NodeRole = z.infer<typeof NodeRoleSchema>;

/**
 * agent.<node>.assignments: `full` replaces the agent's task set; `delta` changes it. `seq` counts messages of
 * a session from 1 (`network` messages count too); a delta whose seq does not follow the last one means something was lost, and the agent
 * asks for a full set (by registering again).
 */
export const AssignmentsSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("full"),
    sessionId: z.string(),
    seq: z.number().int().positive(),
    tasks: z.array(TaskSchema),
    network: NetworkViewSchema.optional(),
    node: NodeRoleSchema.optional(),
  }),
  /** The node's role changed. */
  z.object({ type: z.literal("node"), sessionId: z.string(), seq: z.number().int().positive(), node: NodeRoleSchema }),
  /** The node's network view changed: it replaces the one before. */
  z.object({
    type: z.literal("network"),
    sessionId: z.string(),
    seq: z.number().int().positive(),
    network: NetworkViewSchema,
  }),
  z.object({
    type: z.literal("delta"),
    sessionId: z.string(),
    seq: z.number().int().positive(),
    changes: z.array(
      z.discriminatedUnion("op", [
        z.object({ op: z.literal("upsert"), task: TaskSchema }),
        z.object({ op: z.literal("remove"), taskId: z.string() }),
      ]),
    ),
  }),
]);
export type Assignments = z.infer<typeof AssignmentsSchema>;

/** agent.<node>.status: task status updates, batched. */
export const StatusBatchSchema = z.object({
  sessionId: z.string(),
  updates: z.array(z.object({ taskId: z.string(), status: TaskStatusSchema })).min(1),
});
export type StatusBatch = z.infer<typeof StatusBatchSchema>;

/**
 * agent.<node>.logs: a manager asks for a task's log lines; the agent publishes LogChunk messages to
 * agent.<node>.logs.out.<streamId> (the manager subscribed there first), the last with `end: true` (or `error`).
 * With `follow` the stream goes on until the container ends or the manager publishes `{ streamId }` on
 * agent.<node>.logs.cancel.
 */
export const LogsRequestSchema = z.object({
  /** A subject token: it names the stream's subject. */
  streamId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a stream id is 1-64 letters, digits, '_' or '-'"),
  taskId: z.string().min(1),
  tail: z.number().int().nonnegative().optional(),
  /** Epoch ms. */
  since: z.number().int().nonnegative().optional(),
  follow: z.boolean().default(false),
});
export type LogsRequest = z.infer<typeof LogsRequestSchema>;

export const LogChunkSchema = z.object({
  streamId: z.string(),
  entries: z.array(z.object({ time: z.string(), stream: z.enum(["stdout", "stderr"]), line: z.string() })),
  end: z.boolean().default(false),
  error: z.string().optional(),
});
export type LogChunk = z.infer<typeof LogChunkSchema>;

export const LogsCancelSchema = z.object({ streamId: z.string().min(1) });
