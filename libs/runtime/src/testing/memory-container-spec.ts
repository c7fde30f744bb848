import { AlreadyExistsError, InvalidSpecError } from "../errors.js";
import type { ContainerSpec } from "../types.js";
import { checkVolumeName } from "../volume/volume-name.js";
import { healthSettings } from "./memory-health.js";
import type { MemoryContainer, MemoryHost } from "./memory-host.js";
import { MemoryLog } from "./memory-logs.js";
import { parseProgram } from "./memory-shell.js";
import { parseSignal } from "./memory-signals.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Turns a spec into a created container of `host`, merged with its image like `docker create`: an entrypoint
 * given in the spec drops the image's Cmd; env entries override the image's by name; labels add to the
 * image's. Checks what the twin can check and throws before anything is changed: InvalidSpecError (id, mounts,
 * commands the interpreter does not support, signals), AlreadyExistsError, NotFoundError for a missing image.
 * The volumes the spec mounts are created.
 */
export function createContainer(host: MemoryHost, spec: ContainerSpec): MemoryContainer {
  // lead: use validateSpec from src/bundle for the full checks; these are the basic ones.
  if (typeof spec.id !== "string" || !ID.test(spec.id)) {
    throw new InvalidSpecError("id", `${JSON.stringify(spec.id)} is not allowed; use 1-128 characters of [A-Za-z0-9_.-], starting with a letter or digit`);
  }
  if (host.containers.has(spec.id)) throw new AlreadyExistsError("container", spec.id);
  const image = host.images.find(spec.image);
  const entrypoint = spec.entrypoint ?? image.config.entrypoint ?? [];
  const cmd = spec.cmd ?? (spec.entrypoint ? [] : (image.config.cmd ?? []));
  const args = [...entrypoint, ...cmd];
  const program = parseProgram(args, spec.cmd ? "cmd" : "entrypoint");
  const health = healthSettings(spec.healthcheck ?? image.config.healthcheck);
  const probe = health ? parseProgram(health.argv, "healthcheck.test") : undefined;
  const stopSignal = parseSignal(spec.stopSignal ?? image.config.stopSignal ?? "SIGTERM", "stopSignal");
  if (spec.stopGracePeriodMs !== undefined && !(spec.stopGracePeriodMs >= 0)) {
    throw new InvalidSpecError("stopGracePeriodMs", `must be a number of milliseconds >= 0, got ${spec.stopGracePeriodMs}`);
  }
  const volumes: string[] = [];
  (spec.mounts ?? []).forEach((m, i) => {
    if (!m.target.startsWith("/")) throw new InvalidSpecError(`mounts[${i}].target`, `must be an absolute path, got ${JSON.stringify(m.target)}`);
    if (m.type === "volume") {
      checkVolumeName(m.source, `mounts[${i}].source`);
      volumes.push(m.source);
    }
  });
  for (const name of volumes) host.volumes.createNow(name);
  const c: MemoryContainer = {
    spec: structuredClone(spec),
    imageId: image.id,
    args,
    env: mergeEnv(image.config.env, spec.env ?? []),
    program,
    labels: { ...image.config.labels, ...spec.labels },
    stopSignal,
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

/** `NAME=value` lists merged: later entries replace earlier ones of the same name, keeping the first position. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const e of [...base, ...overrides]) {
    const eq = e.indexOf("=");
    byName.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...byName.values()];
}
