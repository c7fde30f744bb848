import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec, HealthcheckConfig, ImageConfig, NetworkMode } from "../types.js";
import { parseSignal } from "./signals.js";

/** The PATH a container gets when neither the image nor the spec sets one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The network a spec without one gets: a namespace of its own with only loopback. */
export const DEFAULT_NETWORK: NetworkMode = { mode: "none" };

/** Health check defaults (Docker's): probe every 30 s, 30 s timeout, unhealthy after 3 failures. */
export const HEALTHCHECK_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 } as const;

/** A health check with every field decided. */
export interface EffectiveHealthcheck {
  /** `["CMD", prog, ...args]` or `["CMD-SHELL", command]`. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** What runs once a spec is merged with its image's config. */
export interface EffectiveProcess {
  /** Entrypoint followed by command; never empty. */
  args: string[];
  /** `NAME=value`, one per name. */
  env: string[];
  cwd: string;
  /** The user as written (`name`, `uid`, `name:group`, `uid:gid`); `""` means root. Resolve it with resolveUser. */
  user: string;
  /** The container's host name; absent with the host's network, whose name it keeps. */
  hostname?: string;
  stopSignal: number;
  /** Absent when neither spec nor image has a check, or the spec disables it with `["NONE"]`. */
  healthcheck?: EffectiveHealthcheck;
}

/** Options for mergeWithImage. */
export interface MergeOptions {
  /** The host's name, for `HOSTNAME` of a container on the host network. */
  hostHostname?: string;
}

/**
 * The host name a container gets when its spec names none: its id, made a valid host name (`_` and `.` become
 * `-`) and cut to 63 characters.
 */
export function defaultHostname(id: string): string {
  const name = id.replace(/[_.]/g, "-").slice(0, 63).replace(/-+$/, "");
  return name === "" ? "container" : name;
}

/**
 * Merges a spec with its image's config, with Docker's rules: a spec entrypoint replaces the image's and then
 * the image's Cmd is dropped; a spec cmd replaces the image's Cmd; env is PATH and HOSTNAME, then the image's,
 * then the spec's, later entries overriding earlier ones of the same name; cwd defaults to `/`; the stop signal
 * is the spec's, else the image's, else SIGTERM; the spec's health check overrides the image's field by field (an empty test or a 0 keeps the image's).
 * Throws InvalidSpecError when nothing is left to run or the image's stop signal is not a signal.
 */
export function mergeWithImage(spec: ContainerSpec, image: ImageConfig, options: MergeOptions = {}): EffectiveProcess {
  const args =
    spec.entrypoint !== undefined
      ? [...spec.entrypoint, ...(spec.cmd ?? [])]
      : [...(image.entrypoint ?? []), ...(spec.cmd ?? image.cmd ?? [])];
  if (args.length === 0 || args[0] === "") {
    throw new InvalidSpecError(
      "cmd",
      "there is no command to run: neither the spec nor the image gives an entrypoint or cmd; set cmd",
    );
  }
  const network = spec.network ?? DEFAULT_NETWORK;
  const hostname = network.mode === "host" ? undefined : (spec.hostname ?? defaultHostname(spec.id));
  const envHostname = hostname ?? options.hostHostname;
  const env = mergeEnv([
    `PATH=${DEFAULT_PATH}`,
    ...(envHostname === undefined ? [] : [`HOSTNAME=${envHostname}`]),
    ...image.env,
    ...(spec.env ?? []),
  ]);
  const cwd = spec.workdir ?? (image.workingDir ? absolute(image.workingDir) : "/");
  const stopSignal =
    spec.stopSignal !== undefined
      ? parseSignal(spec.stopSignal, "stopSignal")
      : image.stopSignal
        ? parseSignal(image.stopSignal, "image.stopSignal")
        : 15;
  const healthcheck = mergeHealthcheck(spec.healthcheck, image.healthcheck);
  return {
    args,
    env,
    cwd,
    user: spec.user ?? image.user ?? "",
    ...(hostname === undefined ? {} : { hostname }),
    stopSignal,
    ...(healthcheck === undefined ? {} : { healthcheck }),
  };
}

/** `NAME=value` lists merged: one entry per name, at the position of its first appearance, with its last value. */
export function mergeEnv(entries: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf("=");
    const name = eq < 0 ? e : e.slice(0, eq);
    // An image entry without `=` names a variable with no value; keep it as an empty one.
    byName.set(name, eq < 0 ? `${e}=` : e);
  }
  return [...byName.values()];
}

function absolute(dir: string): string {
  return dir.startsWith("/") ? dir : `/${dir}`;
}

function mergeHealthcheck(
  fromSpec: HealthcheckConfig | undefined,
  fromImage: HealthcheckConfig | undefined,
): EffectiveHealthcheck | undefined {
  const test = fromSpec !== undefined && fromSpec.test.length > 0 ? fromSpec.test : (fromImage?.test ?? []);
  if (test.length === 0 || test[0] === "NONE") return undefined;
  // As in Docker, 0 means "not set": it inherits the image's value, then the default.
  const set = (v: number | undefined): number | undefined => (v === 0 ? undefined : v);
  const pick = (key: keyof typeof HEALTHCHECK_DEFAULTS): number =>
    set(fromSpec?.[key]) ?? set(fromImage?.[key]) ?? HEALTHCHECK_DEFAULTS[key];
  return {
    test: [...test],
    intervalMs: pick("intervalMs"),
    timeoutMs: pick("timeoutMs"),
    retries: pick("retries"),
    startPeriodMs: pick("startPeriodMs"),
  };
}
