import { z } from "zod";

/** One manager as `cluster status` shows it. */
export const ManagerStatusSchema = z.object({
  raftId: z.number().int().positive(),
  /** Its API address (host:port), when the cluster object lists it. */
  apiAddr: z.string().optional(),
  /** Voters count toward quorum; learners catch up before they are promoted. */
  role: z.enum(["voter", "learner"]),
  leader: z.boolean(),
  /**
   * Whether the leader reaches it (source `leader`), or whether the answering manager heard from it lately
   * (source `local`).
   */
  reachable: z.boolean(),
  /** Entries it lacks: the leader's last index minus its match index (source `leader` only). */
  lag: z.number().int().nonnegative().optional(),
});
export type ManagerStatus = z.infer<typeof ManagerStatusSchema>;

/** The managers and their Raft state, as the leader sees them or, without a leader, as one manager does. */
export const ClusterStatusSchema = z.object({
  /** `leader`: from the leader's replication progress; `local`: no leader answered, this manager's own view. */
  source: z.enum(["leader", "local"]),
  /** The manager that built this answer. */
  answeredBy: z.object({ raftId: z.number().int().positive(), apiAddr: z.string() }),
  leaderId: z.number().int().positive().optional(),
  leaderApiAddr: z.string().optional(),
  term: z.number().int().nonnegative(),
  commitIndex: z.number().int().nonnegative(),
  /** Managers needed for reads and writes (a majority of the voters). */
  quorum: z.number().int().nonnegative(),
  managers: z.array(ManagerStatusSchema),
  /** What is wrong, when something is (no leader, lost quorum, answer not from the leader). */
  warning: z.string().optional(),
});
export type ClusterStatus = z.infer<typeof ClusterStatusSchema>;
