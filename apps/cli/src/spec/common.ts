import type { ServiceSpecInput } from "@shoal/api";
import type { ParsedArgs } from "../args/parser.js";
import { decimalFlag, durationFlag, intFlag, sizeFlag } from "../args/units.js";
import { choice, parseSecurityOpt, splitWords } from "./values.js";

type TemplateInput = ServiceSpecInput["taskTemplate"];
type ContainerInput = TemplateInput["container"];

/** The container part of a draft spec. */
export const containerOf = (spec: ServiceSpecInput): ContainerInput => spec.taskTemplate.container;

/** The placement part of a draft spec, created if absent. */
export function placementOf(spec: ServiceSpecInput): NonNullable<TemplateInput["placement"]> {
  spec.taskTemplate.placement ??= {};
  return spec.taskTemplate.placement;
}

/** The endpoint part of a draft spec, created if absent. */
export function endpointOf(spec: ServiceSpecInput): NonNullable<ServiceSpecInput["endpoint"]> {
  spec.endpoint ??= {};
  return spec.endpoint;
}

const HEALTH_FIELDS = [
  ["health-interval", "intervalMs"],
  ["health-timeout", "timeoutMs"],
  ["health-start-period", "startPeriodMs"],
] as const;

/**
 * Applies the flags `service create` and `service update` share (COMMON_SERVICE_OPTIONS) to a draft spec.
 * Values are checked here (UsageError naming the flag); the whole spec is checked by the schema after.
 */
export function applyCommonFlags(spec: ServiceSpecInput, p: ParsedArgs): void {
  const c = containerOf(spec);
  const t = spec.taskTemplate;
  const str = (name: string, apply: (v: string) => void) => {
    const v = p.string(name);
    if (v !== undefined) apply(v);
  };

  str("replicas", (v) => {
    if (spec.mode?.mode === "global")
      throw p.usage("--replicas applies to replicated services only; drop it or use --mode replicated");
    spec.mode = { mode: "replicated", replicas: intFlag("replicas", v) };
  });

  const resources = () => (t.resources ??= {});
  const limits = () => (resources().limits ??= {});
  const reservations = () => (resources().reservations ??= {});
  str("limit-cpu", (v) => (limits().cpus = decimalFlag("limit-cpu", v)));
  str("limit-memory", (v) => (limits().memoryBytes = sizeFlag("limit-memory", v)));
  str("limit-pids", (v) => (limits().pids = intFlag("limit-pids", v)));
  str("reserve-cpu", (v) => (reservations().cpus = decimalFlag("reserve-cpu", v)));
  str("reserve-memory", (v) => (reservations().memoryBytes = sizeFlag("reserve-memory", v)));

  const restart = () => (t.restartPolicy ??= {});
  str(
    "restart-condition",
    (v) => (restart().condition = choice("restart-condition", v, ["none", "on-failure", "any"] as const)),
  );
  str("restart-delay", (v) => (restart().delayMs = durationFlag("restart-delay", v)));
  str("restart-max-attempts", (v) => (restart().maxAttempts = intFlag("restart-max-attempts", v)));
  str("restart-window", (v) => (restart().windowMs = durationFlag("restart-window", v)));

  if (p.flag("no-healthcheck")) {
    const other = ["health-cmd", ...HEALTH_FIELDS.map(([f]) => f), "health-retries"].find((f) => p.has(f));
    if (other) throw p.usage(`--no-healthcheck conflicts with --${other}`);
    c.healthcheck = { test: ["NONE"] };
  }
  str("health-cmd", (v) => {
    if (v.trim() === "") throw p.usage("--health-cmd is empty: give the command to run, or use --no-healthcheck");
    c.healthcheck = { ...(c.healthcheck ?? {}), test: ["CMD-SHELL", v] };
  });
  const health = (flag: string) => {
    if (!c.healthcheck || c.healthcheck.test[0] === "NONE")
      throw p.usage(`--${flag} needs a health check: add --health-cmd`);
    return c.healthcheck;
  };
  for (const [flag, field] of HEALTH_FIELDS) str(flag, (v) => (health(flag)[field] = durationFlag(flag, v)));
  str("health-retries", (v) => (health("health-retries").retries = intFlag("health-retries", v)));

  str("user", (v) => (c.user = v));
  str("workdir", (v) => (c.workdir = v));
  str("hostname", (v) => (c.hostname = v));
  str("entrypoint", (v) => (c.command = splitWords(v, "entrypoint")));
  str("stop-signal", (v) => (c.stopSignal = v));
  str("stop-grace-period", (v) => (c.stopGracePeriodMs = durationFlag("stop-grace-period", v)));
  if (p.has("read-only")) c.readOnly = p.flag("read-only");
  for (const opt of p.strings("security-opt")) c.security = { ...c.security, ...parseSecurityOpt(opt) };

  const update = () => (spec.updateConfig ??= {});
  str("update-parallelism", (v) => (update().parallelism = intFlag("update-parallelism", v)));
  str("update-delay", (v) => (update().delayMs = durationFlag("update-delay", v)));
  str(
    "update-failure-action",
    (v) => (update().failureAction = choice("update-failure-action", v, ["pause", "continue", "rollback"] as const)),
  );
  str("update-order", (v) => (update().order = choice("update-order", v, ["start-first", "stop-first"] as const)));
  str("update-monitor", (v) => (update().monitorMs = durationFlag("update-monitor", v)));
  str("update-max-failure-ratio", (v) => (update().maxFailureRatio = decimalFlag("update-max-failure-ratio", v)));
  str("max-replicas", (v) => (placementOf(spec).maxReplicasPerNode = intFlag("max-replicas", v)));
  str("endpoint-mode", (v) => (endpointOf(spec).mode = choice("endpoint-mode", v, ["vip", "dnsrr"] as const)));
}
