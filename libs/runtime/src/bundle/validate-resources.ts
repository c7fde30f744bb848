import { InvalidSpecError } from "../errors.js";
import type { ResourceSpec } from "../types.js";
import type { HostFacts } from "./host-facts.js";
import { MIN_MEMORY_BYTES, parseCpuset } from "./spec-rules.js";

/** CFS period the runtime uses for `cpus` (100 ms, in microseconds). */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses CFS quotas below 1 ms. */
const MIN_CPU_QUOTA_US = 1_000;

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
}

function requireBytes(field: string, value: number, min: number, host: HostFacts): void {
  if (!Number.isSafeInteger(value) || value < min || value > host.memoryBytes) {
    throw new InvalidSpecError(
      field,
      `${value} is out of range; give a whole number of bytes from ${min} (${mib(min)}) to the host's memory, ` +
        `${host.memoryBytes} (${mib(host.memoryBytes)})`,
    );
  }
}

/** The CFS quota (microseconds per CPU_PERIOD_US) that gives `cpus` CPUs. */
export function cpuQuota(cpus: number): number {
  return Math.round(cpus * CPU_PERIOD_US);
}

/**
 * Checks the resource fields of a spec against the host: memory from 6 MiB to the host's memory, reservation
 * not above the limit, cpus from 0.01 to the host's CPU count, shares 2..262144, cpuset CPUs that exist, a pids
 * limit that is a whole number >= 0. Throws InvalidSpecError naming the field.
 */
export function validateResources(resources: ResourceSpec, host: HostFacts): void {
  const { memoryBytes, memoryReservationBytes, cpus, cpuShares, cpusetCpus, pidsLimit } = resources;
  if (memoryBytes !== undefined) requireBytes("resources.memoryBytes", memoryBytes, MIN_MEMORY_BYTES, host);
  if (memoryReservationBytes !== undefined) {
    requireBytes("resources.memoryReservationBytes", memoryReservationBytes, 0, host);
    if (memoryBytes !== undefined && memoryReservationBytes > memoryBytes) {
      throw new InvalidSpecError(
        "resources.memoryReservationBytes",
        `${memoryReservationBytes} is above the memory limit ${memoryBytes}; a reservation must not exceed the limit`,
      );
    }
  }
  if (cpus !== undefined) {
    if (!Number.isFinite(cpus) || cpuQuota(cpus) < MIN_CPU_QUOTA_US || cpus > host.cpuCount) {
      throw new InvalidSpecError(
        "resources.cpus",
        `${cpus} is out of range; give a number of CPUs from 0.01 to the host's ${host.cpuCount}`,
      );
    }
  }
  if (cpuShares !== undefined && (!Number.isInteger(cpuShares) || cpuShares < 2 || cpuShares > 262144)) {
    throw new InvalidSpecError(
      "resources.cpuShares",
      `${cpuShares} is out of range; give a whole number from 2 to 262144`,
    );
  }
  if (cpusetCpus !== undefined) {
    const parsed = parseCpuset(cpusetCpus);
    if ("error" in parsed) {
      throw new InvalidSpecError(
        "resources.cpusetCpus",
        `${JSON.stringify(cpusetCpus)} is not a CPU list (${parsed.error}); write it like "0-1" or "0,2"`,
      );
    }
    const missing = parsed.cpus.filter((c) => c >= host.cpuCount);
    if (missing.length > 0) {
      throw new InvalidSpecError(
        "resources.cpusetCpus",
        `CPU ${missing.join(", ")} does not exist; this host has CPUs 0-${host.cpuCount - 1}`,
      );
    }
  }
  if (pidsLimit !== undefined && (!Number.isSafeInteger(pidsLimit) || pidsLimit < 0)) {
    throw new InvalidSpecError(
      "resources.pidsLimit",
      `${pidsLimit} is out of range; give a whole number >= 0 (0 means unlimited)`,
    );
  }
}
