import { z } from "zod";
import { CidrSchema } from "./network.js";
import { DurationMsSchema, MetaSchema, NameSchema } from "./common.js";

export const ClusterSpecSchema = z.object({
  name: NameSchema.default("default"),
  /** How often agents heartbeat; a node misses a few before it is marked down. */
  heartbeatPeriodMs: DurationMsSchema.min(100).default(1_000),
  /** Ended tasks kept per slot for `service ps`. */
  taskHistoryRetentionLimit: z.number().int().nonnegative().default(5),
  /** Where overlay networks without explicit subnets get theirs, split into /24s. */
  defaultAddressPool: z.array(CidrSchema).default(["10.10.0.0/16"]),
});

export const ClusterSchema = MetaSchema.extend({
  spec: ClusterSpecSchema,
  joinTokens: z.object({ worker: z.string(), manager: z.string() }),
  /** The secret every bus client (agents, managers) presents to the managers' NATS servers. */
  busToken: z.string(),
  /** Where each manager serves: its Raft id, API address (host:port), bus URL and Raft address. */
  managers: z.array(z.object({ raftId: z.number().int().positive(), apiAddr: z.string(), natsUrl: z.string(), raftAddr: z.string() })).default([]),
});
export type Cluster = z.infer<typeof ClusterSchema>;
