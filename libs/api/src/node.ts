import { z } from "zod";
import { LabelsSchema, MetaSchema } from "./common.js";

/** What an operator sets on a node. */
export const NodeSpecSchema = z.object({
  labels: LabelsSchema.default({}),
  role: z.enum(["manager", "worker"]),
  /** active: takes tasks; pause: keeps its tasks, takes no new ones; drain: its tasks move elsewhere. */
  availability: z.enum(["active", "pause", "drain"]).default("active"),
});

/** A node of the cluster: its spec, what its agent reported about itself, and its state. */
export const NodeSchema = MetaSchema.extend({
  spec: NodeSpecSchema,
  description: z.object({
    hostname: z.string(),
    platform: z.object({ os: z.string(), architecture: z.string() }),
    resources: z.object({ cpus: z.number().positive(), memoryBytes: z.number().int().positive() }),
    engine: z.object({ version: z.string(), labels: LabelsSchema.default({}) }),
  }),
  status: z.object({
    state: z.enum(["unknown", "down", "ready", "disconnected"]),
    message: z.string().default(""),
    addr: z.string(),
  }),
  managerStatus: z
    .object({ leader: z.boolean(), reachability: z.enum(["unknown", "unreachable", "reachable"]), addr: z.string() })
    .optional(),
  /** The node's own addresses on networks (given by the allocator): its routing-mesh endpoint on `ingress`. */
  attachments: z.array(z.object({ networkId: z.string(), address: z.string() })).optional(),
});
export type Node = z.infer<typeof NodeSchema>;
