import { z } from "zod";
import { DurationMsSchema, LabelsSchema, MetaSchema, NameSchema } from "./common.js";

/** `NAME=value` environment entries. */
const EnvEntrySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, "write environment entries as NAME=value");

const AbsolutePathSchema = z
  .string()
  .regex(/^\/(?!.*(^|\/)\.\.?(\/|$)).*$/, "use an absolute, normalized path (no '.' or '..' components)");

/** A mount into the service's containers. */
export const MountSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("volume"),
    source: NameSchema,
    target: AbsolutePathSchema,
    readOnly: z.boolean().default(false),
  }),
  z.object({
    type: z.literal("bind"),
    source: AbsolutePathSchema,
    target: AbsolutePathSchema,
    readOnly: z.boolean().default(false),
  }),
  z.object({ type: z.literal("tmpfs"), target: AbsolutePathSchema, sizeBytes: z.number().int().positive().optional() }),
]);
export type Mount = z.infer<typeof MountSchema>;

/** Docker's HEALTHCHECK: `["CMD", ...]`, `["CMD-SHELL", cmd]` or `["NONE"]`. */
export const HealthcheckSchema = z.object({
  test: z
    .array(z.string())
    .min(1)
    .refine(
      (t) => ["CMD", "CMD-SHELL", "NONE"].includes(t[0] ?? ""),
      'start the test with "CMD", "CMD-SHELL" or "NONE"',
    ),
  intervalMs: DurationMsSchema.default(30_000),
  timeoutMs: DurationMsSchema.default(30_000),
  retries: z.number().int().nonnegative().default(3),
  startPeriodMs: DurationMsSchema.default(0),
});

/** The sandbox of each task's container beyond its capabilities. */
export const ContainerSecuritySchema = z.object({
  /** `default`: syscalls filtered by the default seccomp profile (Docker's behaviour); `unconfined`: no filter. */
  seccomp: z.enum(["default", "unconfined"]).default("default"),
  /** No process of the container may gain privileges (setuid binaries run without them); `false` allows it. */
  noNewPrivileges: z.boolean().default(true),
});
export type ContainerSecurity = z.infer<typeof ContainerSecuritySchema>;

/** What runs in each task's container. */
export const ContainerSpecSchema = z.object({
  image: z.string().min(1, "name the image to run"),
  /** Replaces the image's entrypoint (Docker's --entrypoint). */
  command: z.array(z.string()).optional(),
  /** Replaces the image's cmd (the arguments after the image in `service create`). */
  args: z.array(z.string()).optional(),
  env: z.array(EnvEntrySchema).default([]),
  user: z.string().optional(),
  workdir: AbsolutePathSchema.optional(),
  hostname: z.string().optional(),
  labels: LabelsSchema.default({}),
  mounts: z.array(MountSchema).default([]),
  healthcheck: HealthcheckSchema.optional(),
  stopSignal: z.string().optional(),
  stopGracePeriodMs: DurationMsSchema.default(10_000),
  readOnly: z.boolean().default(false),
  /** Run a tiny init as PID 1 (forwards signals, reaps orphans). */
  init: z.boolean().default(true),
  security: ContainerSecuritySchema.default({ seccomp: "default", noNewPrivileges: true }),
});

/** CPU and memory: limits are enforced in cgroups, reservations are what the scheduler sets aside. */
export const ResourcesSchema = z.object({
  limits: z
    .object({
      cpus: z.number().positive().optional(),
      memoryBytes: z
        .number()
        .int()
        .min(6 * 1024 * 1024, "a memory limit must be at least 6 MiB")
        .optional(),
      pids: z.number().int().nonnegative().optional(),
    })
    .default({}),
  reservations: z
    .object({
      cpus: z.number().nonnegative().optional(),
      memoryBytes: z.number().int().nonnegative().optional(),
    })
    .default({}),
});

/** When a task that ended is replaced. */
export const RestartPolicySchema = z.object({
  condition: z.enum(["none", "on-failure", "any"]).default("any"),
  delayMs: DurationMsSchema.default(5_000),
  /** 0 means no limit. */
  maxAttempts: z.number().int().nonnegative().default(0),
  /** The window in which attempts are counted; 0 means since the service was created. */
  windowMs: DurationMsSchema.default(0),
});

/** `node.id==x`, `node.hostname!=y`, `node.role==manager`, `node.labels.zone==a`, `engine.labels.k==v`. */
export const ConstraintSchema = z
  .string()
  .regex(
    /^\s*(node\.id|node\.hostname|node\.role|node\.platform\.os|node\.platform\.arch|node\.labels\.[^\s=!]+|engine\.labels\.[^\s=!]+)\s*(==|!=)\s*\S.*$/,
    "write a constraint as <node.id|node.hostname|node.role|node.labels.KEY|...> == or != <value>",
  );

export const PlacementSchema = z.object({
  constraints: z.array(ConstraintSchema).default([]),
  /** Spread tasks evenly over the values of a node label, in order. */
  preferences: z
    .array(z.object({ spread: z.string().regex(/^node\.labels\.\S+$/, "spread over node.labels.KEY") }))
    .default([]),
  /** 0 means no limit. */
  maxReplicasPerNode: z.number().int().nonnegative().default(0),
});

export const TaskTemplateSchema = z.object({
  container: ContainerSpecSchema,
  resources: ResourcesSchema.default({ limits: {}, reservations: {} }),
  restartPolicy: RestartPolicySchema.default({ condition: "any", delayMs: 5_000, maxAttempts: 0, windowMs: 0 }),
  placement: PlacementSchema.default({ constraints: [], preferences: [], maxReplicasPerNode: 0 }),
  /** Networks by name or id, with extra DNS aliases. */
  networks: z.array(z.object({ target: z.string().min(1), aliases: z.array(NameSchema).default([]) })).default([]),
  logDriver: z
    .object({ name: z.literal("json-file"), options: z.record(z.string(), z.string()).default({}) })
    .optional(),
});

/** Replicated (a number of tasks spread over the nodes) or global (one task on every eligible node). */
export const ServiceModeSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("replicated"), replicas: z.number().int().nonnegative().max(100_000) }),
  z.object({ mode: z.literal("global") }),
]);

export const PortSchema = z.object({
  name: z.string().optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  targetPort: z.number().int().min(1).max(65535),
  /** Absent: the allocator picks one from the dynamic range. */
  publishedPort: z.number().int().min(1).max(65535).optional(),
  /** ingress: every node answers (routing mesh); host: only nodes running a task. */
  publishMode: z.enum(["ingress", "host"]).default("ingress"),
});

export const EndpointSpecSchema = z
  .object({
    mode: z.enum(["vip", "dnsrr"]).default("vip"),
    ports: z.array(PortSchema).default([]),
  })
  .superRefine((e, ctx) => {
    const seen = new Set<string>();
    e.ports.forEach((p, i) => {
      if (p.publishedPort === undefined) return;
      const key = `${p.publishedPort}/${p.protocol}`;
      if (seen.has(key))
        ctx.addIssue({
          code: "custom",
          path: ["ports", i, "publishedPort"],
          message: `port ${key} is published twice`,
        });
      seen.add(key);
    });
    if (e.mode === "dnsrr" && e.ports.some((p) => p.publishMode === "ingress")) {
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: "dnsrr services cannot publish ingress ports; use publishMode host or endpoint mode vip",
      });
    }
  });

/** How a rolling update (or rollback) proceeds. */
export const UpdateConfigSchema = z.object({
  /** Tasks updated at once; 0 means all at once. */
  parallelism: z.number().int().nonnegative().default(1),
  delayMs: DurationMsSchema.default(0),
  failureAction: z.enum(["pause", "continue", "rollback"]).default("pause"),
  monitorMs: DurationMsSchema.default(5_000),
  maxFailureRatio: z.number().min(0).max(1).default(0),
  order: z.enum(["stop-first", "start-first"]).default("stop-first"),
});

/** What the user asks for. The system never rewrites it; it reconciles tasks toward it. */
export const ServiceSpecSchema = z.object({
  name: NameSchema,
  labels: LabelsSchema.default({}),
  mode: ServiceModeSchema.default({ mode: "replicated", replicas: 1 }),
  taskTemplate: TaskTemplateSchema,
  endpoint: EndpointSpecSchema.default({ mode: "vip", ports: [] }),
  updateConfig: UpdateConfigSchema.default({
    parallelism: 1,
    delayMs: 0,
    failureAction: "pause",
    monitorMs: 5_000,
    maxFailureRatio: 0,
    order: "stop-first",
  }),
  rollbackConfig: UpdateConfigSchema.default({
    parallelism: 1,
    delayMs: 0,
    failureAction: "pause",
    monitorMs: 5_000,
    maxFailureRatio: 0,
    order: "stop-first",
  }),
});
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;
/** A service spec as a client may send it (defaults not yet applied). */
export type ServiceSpecInput = z.input<typeof ServiceSpecSchema>;

/** A stored service: its spec, the one before the last update, and what the allocator gave its endpoint. */
export const ServiceSchema = MetaSchema.extend({
  spec: ServiceSpecSchema,
  previousSpec: ServiceSpecSchema.optional(),
  endpoint: z
    .object({
      ports: z.array(PortSchema.extend({ publishedPort: z.number().int().min(1).max(65535) })),
      virtualIps: z.array(z.object({ networkId: z.string(), addr: z.string() })),
    })
    .default({ ports: [], virtualIps: [] }),
  updateStatus: z
    .object({
      state: z.enum(["updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed"]),
      startedAt: z.iso.datetime().optional(),
      completedAt: z.iso.datetime().optional(),
      message: z.string().default(""),
    })
    .optional(),
});
export type Service = z.infer<typeof ServiceSchema>;
