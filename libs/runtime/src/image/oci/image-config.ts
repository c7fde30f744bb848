import { CorruptImageError } from "../../errors.js";
import type { HealthcheckConfig, ImageConfig } from "../../types.js";
import { DIGEST } from "../reference.js";
import { parseJsonObject } from "./manifest.js";

/** What the store keeps of an image config blob. */
export interface ParsedImageConfig {
  architecture: string;
  os: string;
  created?: string;
  config: ImageConfig;
  /** Uncompressed layer digests, bottom first. */
  diffIds: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(value: unknown, field: string, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new CorruptImageError(`runtime: ${what}: ${field} must be a list of strings`);
  }
  return value;
}

function optionalString(value: unknown, field: string, what: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new CorruptImageError(`runtime: ${what}: ${field} must be a string`);
  return value;
}

/** Docker stores health check durations in nanoseconds; 0 means "the default". */
function nsToMs(value: unknown, field: string, what: string): number | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new CorruptImageError(`runtime: ${what}: Healthcheck.${field} must be a non-negative number of nanoseconds`);
  }
  return Math.round(value / 1e6);
}

function parseHealthcheck(value: unknown, what: string): HealthcheckConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new CorruptImageError(`runtime: ${what}: Healthcheck must be an object`);
  const test = stringList(value.Test, "Healthcheck.Test", what);
  if (test === undefined || test.length === 0) return undefined;
  const hc: HealthcheckConfig = { test };
  const interval = nsToMs(value.Interval, "Interval", what);
  const timeout = nsToMs(value.Timeout, "Timeout", what);
  const startPeriod = nsToMs(value.StartPeriod, "StartPeriod", what);
  if (interval !== undefined) hc.intervalMs = interval;
  if (timeout !== undefined) hc.timeoutMs = timeout;
  if (startPeriod !== undefined) hc.startPeriodMs = startPeriod;
  if (value.Retries !== undefined && value.Retries !== null && value.Retries !== 0) {
    if (typeof value.Retries !== "number" || !Number.isSafeInteger(value.Retries) || value.Retries < 0) {
      throw new CorruptImageError(`runtime: ${what}: Healthcheck.Retries must be a non-negative integer`);
    }
    hc.retries = value.Retries;
  }
  return hc;
}

function keys(value: unknown, field: string, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw new CorruptImageError(`runtime: ${what}: ${field} must be an object`);
  return Object.keys(value).sort();
}

/**
 * Parses an image config blob (OCI image config or Docker's container image JSON): platform, creation time, the
 * run settings under `config`, and `rootfs.diff_ids`. Throws CorruptImageError naming the bad field.
 */
export function parseImageConfig(bytes: Buffer, what: string): ParsedImageConfig {
  const doc = parseJsonObject(bytes, what);
  const architecture = optionalString(doc.architecture, "architecture", what);
  const os = optionalString(doc.os, "os", what);
  if (architecture === undefined || os === undefined)
    throw new CorruptImageError(`runtime: ${what} has no architecture or os`);
  const rootfs = doc.rootfs;
  if (!isObject(rootfs) || rootfs.type !== "layers")
    throw new CorruptImageError(`runtime: ${what}: rootfs.type must be "layers"`);
  const diffIds = stringList(rootfs.diff_ids, "rootfs.diff_ids", what) ?? [];
  diffIds.forEach((d, i) => {
    if (!DIGEST.test(d)) throw new CorruptImageError(`runtime: ${what}: rootfs.diff_ids[${i}] is not a sha256 digest`);
  });
  const c = doc.config === undefined || doc.config === null ? {} : doc.config;
  if (!isObject(c)) throw new CorruptImageError(`runtime: ${what}: config must be an object`);

  const config: ImageConfig = {
    env: stringList(c.Env, "config.Env", what) ?? [],
    exposedPorts: keys(c.ExposedPorts, "config.ExposedPorts", what),
    labels: {},
    volumes: keys(c.Volumes, "config.Volumes", what),
  };
  const entrypoint = stringList(c.Entrypoint, "config.Entrypoint", what);
  const cmd = stringList(c.Cmd, "config.Cmd", what);
  const workingDir = optionalString(c.WorkingDir, "config.WorkingDir", what);
  const user = optionalString(c.User, "config.User", what);
  const stopSignal = optionalString(c.StopSignal, "config.StopSignal", what);
  const healthcheck = parseHealthcheck(c.Healthcheck, what);
  if (entrypoint !== undefined) config.entrypoint = entrypoint;
  if (cmd !== undefined) config.cmd = cmd;
  if (workingDir !== undefined) config.workingDir = workingDir;
  if (user !== undefined) config.user = user;
  if (stopSignal !== undefined) config.stopSignal = stopSignal;
  if (healthcheck !== undefined) config.healthcheck = healthcheck;
  if (c.Labels !== undefined && c.Labels !== null) {
    if (!isObject(c.Labels)) throw new CorruptImageError(`runtime: ${what}: config.Labels must be an object`);
    for (const [k, v] of Object.entries(c.Labels)) {
      if (typeof v !== "string") throw new CorruptImageError(`runtime: ${what}: config.Labels.${k} must be a string`);
      config.labels[k] = v;
    }
  }
  const created = optionalString(doc.created, "created", what);
  return { architecture, os, ...(created !== undefined ? { created } : {}), config, diffIds };
}
