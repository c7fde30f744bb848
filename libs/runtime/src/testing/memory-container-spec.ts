import { mergeWithImage, validateSpec } from "../bundle/index.js";
import { AlreadyExistsError } from "../errors.js";
import type { ContainerSpec } from "../types.js";
import { resolveHealthcheck } from "../health/health-config.js";
import type { MemoryContainer, MemoryHost } from "./memory-host.js";
import { MemoryLog } from "./memory-logs.js";
import { parseProgram } from "./memory-shell.js";

/**
 * Turns a spec into a created container of `host`, validated and merged with its image by the same code as
 * the real runtime (validateSpec, mergeWithImage); labels add to the image's. Throws before anything is
 * changed: InvalidSpecError (also for commands the interpreter does not support), AlreadyExistsError,
 * NotFoundError for a missing image.
 * The volumes the spec mounts are created.
 */
export function createContainer(host: MemoryHost, spec: ContainerSpec): MemoryContainer {
  validateSpec(spec, {
    cgroupVersion: 2,
    swapAccounting: false,
    cpuCount: 64,
    memoryBytes: host.memoryBytes,
    arch: "x64",
  });
  if (host.containers.has(spec.id)) throw new AlreadyExistsError("container", spec.id);
  const image = host.images.find(spec.image);
  const merged = mergeWithImage(spec, image.config);
  const program = parseProgram(merged.args, spec.cmd ? "cmd" : "entrypoint");
  const health = resolveHealthcheck(merged.healthcheck);
  const probe = health ? parseProgram(health.argv, "healthcheck.test") : undefined;
  const volumes = (spec.mounts ?? []).flatMap((m) => (m.type === "volume" ? [m.source] : []));
  for (const name of volumes) host.volumes.createNow(name);
  const c: MemoryContainer = {
    spec: structuredClone(spec),
    imageId: image.id,
    args: merged.args,
    env: merged.env,
    program,
    labels: { ...image.config.labels, ...spec.labels },
    stopSignal: merged.stopSignal,
    health,
    probe,
    createdAt: host.isoNow(),
    log: new MemoryLog(() => host.clock.now()),
    status: "created",
    oomKilled: false,
    execs: new Set(),
    ignoredSignals: new Set(),
    stats: { cpuUsageNs: 0, memoryUsageBytes: 0 },
    files: new Set(),
    waiters: [],
  };
  host.containers.set(spec.id, c);
  return c;
}
