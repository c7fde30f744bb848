import { z } from "zod";
import { LabelsSchema, MetaSchema } from "./common.js";

/** What an operator sets on a node. */
export const NodeSpecSchema = z.object({
  labels: LabelsSchema.default({}),
  role: z.enum(["manager", "worker"]),
  /** active: takes tasks; pause: keeps its tasks, takes no new ones; drain: its tasks move elsewhere. */
  availability: z.enum(["active", "pause", "drain"]).default("active"),
});

/** A certificate the cluster's CA issued a node, as the store records it. */
export const NodeCertificateSchema = z.object({
  kind: z.enum(["agent", "manager"]),
  /** The serial, upper-case hex as Node's X509Certificate prints it. */
  serial: z.string(),
  notAfter: z.string().datetime(),
  /** The digest of the root the certificate chains to (as join tokens print it). */
  issuerDigest: z.string(),
});
export type NodeCertificate = z.infer<typeof NodeCertificateSchema>;

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
  /**
   * The certificates the cluster's CA issued the node, newest last (what the store records of each: never the
   * certificate's key). An agent certificate is issued when the node joins.
   */
  certificates: z.array(NodeCertificateSchema).optional(),
  /** The node's own addresses on networks (given by the allocator): its routing-mesh endpoint on `ingress`. */
  attachments: z.array(z.object({ networkId: z.string(), address: z.string() })).optional(),
});
export type Node = z.infer<typeof NodeSchema>;
