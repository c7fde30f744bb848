import { z } from "zod";
import { IdSchema, MetaSchema } from "./common.js";
import { PortSchema, TaskTemplateSchema } from "./service.js";
import { TaskStateSchema } from "./task-state.js";

/** What a task's latest status says: its state, when, why, and how the container ended. */
export const TaskStatusSchema = z.object({
  state: TaskStateSchema,
  timestamp: z.iso.datetime(),
  /** A human sentence: "started", "no suitable node (2 nodes lack 512 MiB memory)". */
  message: z.string().default(""),
  err: z.string().optional(),
  exitCode: z.number().int().optional(),
  containerId: z.string().optional(),
});

/**
 * One instance of a service. `slot` numbers the replicas of a replicated service (1..replicas); a global
 * service's task is identified by its node. `desiredState` is what the orchestrator wants (running, shutdown,
 * remove); `status.state` is what happened. A pending task carries the scheduler's reason per node.
 */
export const TaskSchema = MetaSchema.extend({
  serviceId: IdSchema,
  slot: z.number().int().positive().optional(),
  nodeId: IdSchema.optional(),
  /** The service's template when the task was made: a task never changes its spec. */
  spec: TaskTemplateSchema,
  /** The version of the service spec this task runs. */
  serviceVersion: z.number().int().nonnegative(),
  desiredState: TaskStateSchema,
  status: TaskStatusSchema,
  /** The service's published ports when the task was made (the agent programs them where the task runs). */
  endpoint: z.object({ ports: z.array(PortSchema) }).default({ ports: [] }),
  /** The address of each network attachment. */
  networks: z.array(z.object({ networkId: IdSchema, addresses: z.array(z.string()) })).default([]),
  /** Why the scheduler could not place it, node by node (only while pending). */
  unschedulable: z.array(z.object({ nodeId: IdSchema, hostname: z.string(), reason: z.string() })).optional(),
});
export type Task = z.infer<typeof TaskSchema>;
