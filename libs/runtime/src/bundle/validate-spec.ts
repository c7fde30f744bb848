import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec, HealthcheckConfig, NetworkMode, RlimitSpec } from "../types.js";
import { normalizeCapability } from "./capabilities.js";
import type { HostFacts } from "./host-facts.js";
import { normalizeRlimitName } from "./rlimits.js";
import { parseSignal } from "./signals.js";
import {
  CONTAINER_ID_PATTERN,
  ENV_NAME_PATTERN,
  MAX_HOSTNAME_LENGTH,
  isNormalAbsolutePath,
  isValidHostname,
} from "./spec-rules.js";
import { validateMounts } from "./validate-mounts.js";
import { validateResources } from "./validate-resources.js";

/**
 * Checks a container spec before anything is created for it, against the facts of the host it would run on.
 * Throws InvalidSpecError whose `field` is the dotted path of the first bad field and whose message says what is
 * allowed. Fields the image fills in later (command, user lookup) are checked for form only.
 */
export function validateSpec(spec: ContainerSpec, host: HostFacts): void {
  if (typeof spec.id !== "string" || !CONTAINER_ID_PATTERN.test(spec.id)) {
    throw new InvalidSpecError(
      "id",
      `${JSON.stringify(spec.id)} is not a container id; use 1-128 characters [A-Za-z0-9_.-] starting with a letter or digit`,
    );
  }
  if (typeof spec.image !== "string" || spec.image.trim() === "") {
    throw new InvalidSpecError("image", "it is empty; name an image by reference (busybox:latest) or id");
  }
  if (spec.entrypoint !== undefined) checkArgv("entrypoint", spec.entrypoint);
  if (spec.cmd !== undefined) checkArgv("cmd", spec.cmd);
  spec.env?.forEach((e, i) => checkEnv(`env[${i}]`, e));
  if (spec.user !== undefined) checkUser(spec.user);
  if (spec.workdir !== undefined && !isNormalAbsolutePath(spec.workdir)) {
    throw new InvalidSpecError(
      "workdir",
      `${JSON.stringify(spec.workdir)} is not an absolute path in normal form; write it like /app`,
    );
  }
  if (spec.network !== undefined) checkNetwork(spec.network, spec.hostname);
  if (spec.hostname !== undefined && !isValidHostname(spec.hostname)) {
    throw new InvalidSpecError(
      "hostname",
      `${JSON.stringify(spec.hostname)} is not an RFC 1123 host name; use letters, digits, inner hyphens and dots, at most ${MAX_HOSTNAME_LENGTH} characters`,
    );
  }
  if (spec.mounts !== undefined) validateMounts(spec.mounts);
  if (spec.resources !== undefined) validateResources(spec.resources, host);
  spec.capAdd?.forEach((c, i) => normalizeCapability(c, `capAdd[${i}]`));
  spec.capDrop?.forEach((c, i) => normalizeCapability(c, `capDrop[${i}]`));
  if (spec.seccomp !== undefined && spec.seccomp !== "default" && spec.seccomp !== "unconfined") {
    throw new InvalidSpecError(
      "seccomp",
      `${JSON.stringify(spec.seccomp)} is not a seccomp mode; use "default" (the default profile) or "unconfined" (no filter)`,
    );
  }
  if (spec.noNewPrivileges !== undefined && typeof spec.noNewPrivileges !== "boolean") {
    throw new InvalidSpecError("noNewPrivileges", "use true (the default) or false");
  }
  if (spec.rlimits !== undefined) checkRlimits(spec.rlimits, host.maxNofile);
  if (spec.stopSignal !== undefined) parseSignal(spec.stopSignal, "stopSignal");
  if (spec.stopGracePeriodMs !== undefined) checkDuration("stopGracePeriodMs", spec.stopGracePeriodMs);
  if (spec.healthcheck !== undefined) checkHealthcheck(spec.healthcheck);
  if (spec.log?.maxSizeBytes !== undefined) checkPositive("log.maxSizeBytes", spec.log.maxSizeBytes);
  if (spec.log?.maxFiles !== undefined) checkPositive("log.maxFiles", spec.log.maxFiles);
}

function checkArgv(field: string, argv: readonly string[]): void {
  argv.forEach((arg, i) => {
    if (typeof arg !== "string" || arg.includes("\0")) {
      throw new InvalidSpecError(`${field}[${i}]`, "arguments must be strings without NUL characters");
    }
  });
}

function checkEnv(field: string, entry: string): void {
  const eq = typeof entry === "string" ? entry.indexOf("=") : -1;
  const name = eq > 0 ? entry.slice(0, eq) : "";
  if (!ENV_NAME_PATTERN.test(name)) {
    throw new InvalidSpecError(
      field,
      `${JSON.stringify(entry)} is not NAME=value with a name of letters, digits and _ (not starting with a digit)`,
    );
  }
  if (entry.includes("\0"))
    throw new InvalidSpecError(field, `the value of ${name} contains a NUL character; remove it`);
}

function checkUser(user: string): void {
  const parts = user.split(":");
  if (user === "" || parts.length > 2 || parts.some((p) => p === "" || /[\s\0]/.test(p))) {
    throw new InvalidSpecError("user", `${JSON.stringify(user)} is not a user; write name, uid, name:group or uid:gid`);
  }
}

function checkNetwork(network: NetworkMode, hostname: string | undefined): void {
  switch (network.mode) {
    case "none":
      return;
    case "host":
      if (hostname !== undefined) {
        throw new InvalidSpecError(
          "hostname",
          "cannot be set with network mode host, which keeps the host's name; leave it out",
        );
      }
      return;
    case "path":
      if (typeof network.path !== "string" || !isNormalAbsolutePath(network.path) || network.path === "/") {
        throw new InvalidSpecError(
          "network.path",
          `${JSON.stringify(network.path)} is not an absolute path to a network namespace, like /run/netns/<name> or /proc/<pid>/ns/net`,
        );
      }
      return;
    default: {
      const mode: unknown = (network as { mode: unknown }).mode;
      throw new InvalidSpecError(
        "network.mode",
        `${JSON.stringify(mode)} is not a network mode; use none, host or path`,
      );
    }
  }
}

function checkRlimits(rlimits: readonly RlimitSpec[], maxNofile: number | undefined): void {
  const seen = new Set<string>();
  rlimits.forEach((r, i) => {
    const name = normalizeRlimitName(String(r.type), `rlimits[${i}].type`);
    if (seen.has(name))
      throw new InvalidSpecError(`rlimits[${i}].type`, `${name} is given twice; give each limit once`);
    seen.add(name);
    for (const key of ["soft", "hard"] as const) {
      const v = r[key];
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new InvalidSpecError(
          `rlimits[${i}].${key}`,
          `${v} is not a limit; give a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`,
        );
      }
    }
    if (r.soft > r.hard) {
      throw new InvalidSpecError(
        `rlimits[${i}].soft`,
        `${r.soft} is above the hard limit ${r.hard}; the soft limit must not exceed the hard one`,
      );
    }
    if (name === "nofile" && maxNofile !== undefined && r.hard > maxNofile) {
      throw new InvalidSpecError(
        `rlimits[${i}].hard`,
        `${r.hard} is above ${maxNofile}, the most open files a container can get on this host; ask for at most that`,
      );
    }
  });
}

function checkDuration(field: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidSpecError(field, `${ms} is not a duration; give whole milliseconds >= 0`);
  }
}

function checkPositive(field: string, n: number): void {
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidSpecError(field, `${n} is out of range; give a whole number > 0`);
}

function checkHealthcheck(hc: HealthcheckConfig): void {
  const [kind, ...rest] = hc.test;
  // An empty test keeps the image's command and changes only the timings (Docker's merge rule).
  if (kind !== undefined) {
    const ok =
      (kind === "NONE" && rest.length === 0) ||
      (kind === "CMD" && rest.length > 0 && rest[0] !== "") ||
      (kind === "CMD-SHELL" && rest.length === 1 && rest[0] !== "");
    if (!ok) {
      throw new InvalidSpecError(
        "healthcheck.test",
        `${JSON.stringify(hc.test)} is not a check; use ["CMD", prog, ...args], ["CMD-SHELL", "command"] or ["NONE"]`,
      );
    }
    checkArgv("healthcheck.test", rest);
  }
  for (const key of ["intervalMs", "timeoutMs", "startPeriodMs"] as const) {
    const v = hc[key];
    if (v !== undefined) checkDuration(`healthcheck.${key}`, v);
  }
  if (hc.retries !== undefined && (!Number.isSafeInteger(hc.retries) || hc.retries < 0)) {
    throw new InvalidSpecError("healthcheck.retries", `${hc.retries} is out of range; give a whole number >= 0`);
  }
}
