import type { ServiceWithStatus } from "@shoal/api";
import { formatBinarySize, formatDuration } from "../args/units.js";

/** `service inspect --pretty`: the spec as indented text, like `docker service inspect --pretty`. */
export function servicePretty(s: ServiceWithStatus): string {
  const c = s.spec.taskTemplate.container;
  const t = s.spec.taskTemplate;
  const out: string[] = [];
  const kv = (indent: number, k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== "")
      out.push(`${" ".repeat(indent)}${k}:${" ".repeat(Math.max(1, 20 - indent - k.length))}${v}`);
  };
  const list = (indent: number, title: string, items: readonly string[]) => {
    if (items.length === 0) return;
    out.push(`${" ".repeat(indent)}${title}:`);
    for (const i of items) out.push(`${" ".repeat(indent + 1)}${i}`);
  };
  kv(0, "ID", s.id);
  kv(0, "Name", s.spec.name);
  list(
    0,
    "Labels",
    Object.entries(s.spec.labels).map(([k, v]) => `${k}=${v}`),
  );
  kv(0, "Service Mode", s.spec.mode.mode === "replicated" ? "Replicated" : "Global");
  if (s.spec.mode.mode === "replicated") kv(1, "Replicas", s.spec.mode.replicas);
  kv(0, "Tasks", `${s.serviceStatus.runningTasks} running of ${s.serviceStatus.desiredTasks} desired`);
  if (s.updateStatus)
    kv(0, "UpdateStatus", `${s.updateStatus.state}${s.updateStatus.message ? ` (${s.updateStatus.message})` : ""}`);
  list(0, "Placement Constraints", t.placement.constraints);
  list(
    0,
    "Placement Preferences",
    t.placement.preferences.map((p) => `spread=${p.spread}`),
  );
  out.push("UpdateConfig:");
  kv(1, "Parallelism", s.spec.updateConfig.parallelism);
  kv(1, "Delay", formatDuration(s.spec.updateConfig.delayMs));
  kv(1, "On failure", s.spec.updateConfig.failureAction);
  kv(1, "Order", s.spec.updateConfig.order);
  out.push("RestartPolicy:");
  kv(1, "Condition", t.restartPolicy.condition);
  kv(1, "Delay", formatDuration(t.restartPolicy.delayMs));
  kv(1, "Max attempts", t.restartPolicy.maxAttempts);
  out.push("ContainerSpec:");
  kv(1, "Image", c.image);
  if (c.command) kv(1, "Entrypoint", c.command.join(" "));
  if (c.args) kv(1, "Args", c.args.join(" "));
  list(1, "Env", c.env);
  kv(1, "User", c.user);
  kv(1, "Dir", c.workdir);
  if (c.healthcheck) kv(1, "Healthcheck", c.healthcheck.test.join(" "));
  kv(1, "Init", String(c.init));
  kv(1, "SecurityOpt", `seccomp=${c.security.seccomp}, no-new-privileges=${String(c.security.noNewPrivileges)}`);
  list(
    0,
    "Mounts",
    c.mounts.map((m) =>
      m.type === "tmpfs" ? `tmpfs -> ${m.target}` : `${m.type} ${m.source} -> ${m.target}${m.readOnly ? " (ro)" : ""}`,
    ),
  );
  const { limits, reservations } = t.resources;
  if (Object.keys(limits).length + Object.keys(reservations).length > 0) {
    out.push("Resources:");
    if (Object.keys(limits).length > 0) out.push(" Limits:");
    kv(2, "CPU", limits.cpus);
    kv(2, "Memory", limits.memoryBytes === undefined ? undefined : formatBinarySize(limits.memoryBytes));
    kv(2, "Pids", limits.pids);
    if (Object.keys(reservations).length > 0) out.push(" Reservations:");
    kv(2, "CPU", reservations.cpus);
    kv(2, "Memory", reservations.memoryBytes === undefined ? undefined : formatBinarySize(reservations.memoryBytes));
  }
  list(
    0,
    "Networks",
    t.networks.map((n) => n.target),
  );
  kv(0, "Endpoint Mode", s.spec.endpoint.mode);
  const ports = s.endpoint.ports.length > 0 ? s.endpoint.ports : s.spec.endpoint.ports;
  if (ports.length > 0) {
    out.push("Ports:");
    for (const p of ports)
      out.push(
        ` PublishedPort = ${p.publishedPort ?? "(any)"}`,
        `  Protocol = ${p.protocol}`,
        `  TargetPort = ${p.targetPort}`,
        `  PublishMode = ${p.publishMode}`,
      );
  }
  return `${out.join("\n")}\n`;
}
