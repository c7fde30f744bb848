import { z } from "zod";
import { LabelsSchema, MetaSchema, NameSchema } from "./common.js";

/** An IPv4 CIDR such as 10.10.3.0/24. */
export const CidrSchema = z
  .string()
  .regex(
    /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(\d|[12]\d|3[0-2])$/,
    "write an IPv4 subnet as a.b.c.d/len",
  );

/** The network made with the cluster that services naming no network join (service discovery by name). */
export const DEFAULT_NETWORK = "default";
/** The routing mesh's network, made with the cluster. */
export const INGRESS_NETWORK = "ingress";

export const NetworkSpecSchema = z.object({
  name: NameSchema,
  driver: z.literal("overlay").default("overlay"),
  labels: LabelsSchema.default({}),
  /** Subnets to use; empty: taken from the cluster's default pool, one more whenever one fills up. */
  subnets: z.array(z.object({ subnet: CidrSchema, gateway: z.string().optional() })).default([]),
  /** Standalone containers may attach too, not only services' tasks. */
  attachable: z.boolean().default(false),
  /** The routing mesh's network (only one per cluster). */
  ingress: z.boolean().default(false),
});
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

export const NetworkSchema = MetaSchema.extend({
  spec: NetworkSpecSchema,
  /** Given by the allocator: the VXLAN id (4096 and up) and the subnets in use. */
  vni: z.number().int().min(4096).max(16_777_215).optional(),
  subnets: z.array(z.object({ subnet: CidrSchema, gateway: z.string() })).default([]),
});
export type Network = z.infer<typeof NetworkSchema>;
