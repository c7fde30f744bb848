import type { OptionDef } from "../args/parser.js";

const s = (name: string, value: string, help: string, extra: Partial<OptionDef> = {}): OptionDef => ({ name, type: "string", value, help, ...extra });
const many = (name: string, value: string, help: string, extra: Partial<OptionDef> = {}): OptionDef => s(name, value, help, { multiple: true, ...extra });
const b = (name: string, help: string, extra: Partial<OptionDef> = {}): OptionDef => ({ name, type: "boolean", help, ...extra });

/** Flags of `service create` and `service update` that set the same part of the spec the same way. */
export const COMMON_SERVICE_OPTIONS: readonly OptionDef[] = [
  s("replicas", "N", "Number of tasks"),
  s("limit-cpu", "CPUS", "Limit CPUs (0.5 is half a CPU)"),
  s("limit-memory", "SIZE", "Limit memory (64M, 1g or bytes)"),
  s("limit-pids", "N", "Limit the number of processes (0: no limit)"),
  s("reserve-cpu", "CPUS", "Reserve CPUs on the node"),
  s("reserve-memory", "SIZE", "Reserve memory on the node"),
  s("restart-condition", "COND", "Restart when a task ends: none, on-failure or any"),
  s("restart-delay", "DURATION", "Delay between restart attempts (5s)"),
  s("restart-max-attempts", "N", "Maximum number of restarts before giving up (0: no limit)"),
  s("restart-window", "DURATION", "Window used to count restarts"),
  s("health-cmd", "CMD", "Command to run to check health (run by /bin/sh -c)"),
  s("health-interval", "DURATION", "Time between running the check"),
  s("health-retries", "N", "Consecutive failures needed to report unhealthy"),
  s("health-timeout", "DURATION", "Maximum time to allow one check to run"),
  s("health-start-period", "DURATION", "Start period during which failures do not count"),
  b("no-healthcheck", "Disable any container-specified HEALTHCHECK"),
  s("user", "USER", "Username or UID (user[:group])", { short: "u" }),
  s("workdir", "DIR", "Working directory inside the container", { short: "w" }),
  s("hostname", "NAME", "Container hostname"),
  s("entrypoint", "CMD", "Overwrite the default ENTRYPOINT of the image"),
  s("stop-signal", "SIGNAL", "Signal to stop the container"),
  s("stop-grace-period", "DURATION", "Time to wait before force killing a container (10s)"),
  b("read-only", "Mount the container's root filesystem as read only (--read-only=false to undo)"),
  s("update-parallelism", "N", "Maximum number of tasks updated simultaneously (0 to update all at once)"),
  s("update-delay", "DURATION", "Delay between updates"),
  s("update-failure-action", "ACTION", "Action on update failure: pause, continue or rollback"),
  s("update-order", "ORDER", "Update order: start-first or stop-first"),
  s("max-replicas", "N", "Maximum number of tasks per node (0: no limit)"),
  s("endpoint-mode", "MODE", "Endpoint mode: vip or dnsrr"),
  b("detach", "Exit immediately instead of waiting for the service to converge", { short: "d" }),
  b("quiet", "Suppress progress output", { short: "q" }),
  s("timeout", "DURATION", "Give up waiting for convergence after this long (120s)"),
];

/** Flags of `service create`. */
export const CREATE_OPTIONS: readonly OptionDef[] = [
  s("name", "NAME", "Service name"),
  s("mode", "MODE", "Service mode: replicated or global"),
  many("env", "NAME=VALUE", "Set environment variables", { short: "e" }),
  many("publish", "PORT", "Publish a port: 8080:80, 8080:80/udp or published=8080,target=80,protocol=tcp,mode=host", { short: "p" }),
  many("mount", "MOUNT", "Attach a mount: type=volume|bind|tmpfs,source=SRC,target=DST[,readonly]"),
  many("constraint", "EXPR", "Placement constraint: node.labels.zone==a, node.role!=manager ..."),
  many("placement-pref", "PREF", "Placement preference: spread=node.labels.zone"),
  many("label", "KEY=VALUE", "Service labels", { short: "l" }),
  many("container-label", "KEY=VALUE", "Container labels"),
  many("network", "NETWORK", "Network to attach to"),
  ...COMMON_SERVICE_OPTIONS,
];

/** Flags of `service update`. */
export const UPDATE_OPTIONS: readonly OptionDef[] = [
  s("image", "IMAGE", "Service image"),
  s("args", "ARGS", "Service command arguments (replaces the image's command)"),
  many("env-add", "NAME=VALUE", "Add or update an environment variable"),
  many("env-rm", "NAME", "Remove an environment variable"),
  many("publish-add", "PORT", "Add or update a published port"),
  many("publish-rm", "PORT", "Remove a published port by its target port (80 or 80/udp)"),
  many("mount-add", "MOUNT", "Add or update a mount"),
  many("mount-rm", "PATH", "Remove a mount by its target path"),
  many("constraint-add", "EXPR", "Add or update a placement constraint"),
  many("constraint-rm", "EXPR", "Remove a constraint"),
  many("placement-pref-add", "PREF", "Add a placement preference"),
  many("placement-pref-rm", "PREF", "Remove a placement preference"),
  many("label-add", "KEY=VALUE", "Add or update a service label"),
  many("label-rm", "KEY", "Remove a label by its key"),
  many("container-label-add", "KEY=VALUE", "Add or update a container label"),
  many("container-label-rm", "KEY", "Remove a container label by its key"),
  b("force", "Replace every task even if nothing changed"),
  ...COMMON_SERVICE_OPTIONS,
];
