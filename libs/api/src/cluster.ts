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
  /** The cluster CA as everyone may see it: the digests of its roots (what join tokens pin), base 36. */
  ca: z.object({ rootDigests: z.array(z.string()).min(1) }),
  /**
   * Where each manager serves: its Raft id, API address (host:port), bus URL, Raft address and the address of
   * its bus server's cluster port (where the other managers' bus servers connect).
   */
  managers: z
    .array(
      z.object({
        raftId: z.number().int().positive(),
        apiAddr: z.string(),
        natsUrl: z.string(),
        raftAddr: z.string(),
        natsRouteAddr: z.string().optional(),
        /** The manager's node (its certificates name it). */
        nodeId: z.string().optional(),
      }),
    )
    .default([]),
  /** The highest Raft id ever given to a manager (ids of removed managers are never used again). */
  lastRaftId: z.number().int().nonnegative().optional(),
  /**
   * Autolock (docs/design/trust.md §4.9), present while it is on: the id of the current unlock key (never the
   * key) and when that key was set. Every manager keeps its data key wrapped with it.
   */
  autolock: z.object({ unlockKeyId: z.string(), since: z.string().datetime() }).optional(),
});
export type Cluster = z.infer<typeof ClusterSchema>;

/**
 * What a new manager sends to join: where it will serve. Who it is comes from its manager certificate (the
 * caller must present one naming a node whose role is manager).
 */
export const ManagerJoinRequestSchema = z.object({
  raftAddr: z.string().min(1),
  apiAddr: z.string().min(1),
  natsUrl: z.string().min(1),
  natsRouteAddr: z.string().min(1),
});
export type ManagerJoinRequest = z.infer<typeof ManagerJoinRequestSchema>;

/**
 * What a new manager learns: its Raft id, the current members (Raft id, address, and the node whose manager
 * certificate the member must present; absent only for a member listed by an earlier version, which the Raft
 * identity check refuses), and the other managers' bus cluster ports.
 */
export const ManagerJoinReplySchema = z.object({
  clusterId: z.string(),
  raftId: z.number().int().positive(),
  members: z.array(z.object({ id: z.number().int().positive(), address: z.string(), nodeId: z.string().optional() })),
  natsRouteAddrs: z.array(z.string()),
});
export type ManagerJoinReply = z.infer<typeof ManagerJoinReplySchema>;
