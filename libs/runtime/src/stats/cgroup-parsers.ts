import { CgroupError } from "../errors.js";

/**
 * Parsers for the cgroup files the runtime reads, v1 and v2. Pure: they take the file's text. Each throws
 * CgroupError naming the file when the text is not what the kernel writes.
 */

/** v1 limits at or above this are "no limit": the kernel writes PAGE_COUNTER_MAX pages (about 2^63). */
const V1_UNLIMITED = 2n ** 62n;

/** The single non-negative integer in a file such as `pids.current`. */
export function parseCounter(text: string, file: string): number {
  return Number(parseBig(text.trim(), file));
}

/** A flat keyed file (`memory.stat`, `cpu.stat`, `memory.events`, `memory.oom_control`): key -> value. */
export function parseKeyedFile(text: string, file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const [key, value, extra] = trimmed.split(/\s+/);
    if (key === undefined || value === undefined || extra !== undefined) {
      throw new CgroupError(
        file,
        `runtime: cgroup file ${file} has a line that is not "key value": ${JSON.stringify(line)}`,
      );
    }
    out.set(key, parseBig(value, file));
  }
  return out;
}

function parseBig(value: string, file: string): bigint {
  if (!/^\d+$/.test(value)) {
    throw new CgroupError(
      file,
      `runtime: cgroup file ${file} holds ${JSON.stringify(value)} where a number was expected`,
    );
  }
  return BigInt(value);
}

/** Usage minus inactive file cache (what Docker shows), never below zero. */
function workingSet(usage: bigint, inactiveFile: bigint | undefined): number {
  const cache = inactiveFile ?? 0n;
  return Number(cache < usage ? usage - cache : 0n);
}

/** v1 `cpuacct.usage`: total cpu time in ns. */
export function parseV1CpuUsage(cpuacctUsage: string): number {
  return parseCounter(cpuacctUsage, "cpuacct.usage");
}

/** v1 memory usage as Docker reports it: `memory.usage_in_bytes` minus `memory.stat` `total_inactive_file`. */
export function parseV1MemoryUsage(usageInBytes: string, memoryStat: string): number {
  const usage = parseBig(usageInBytes.trim(), "memory.usage_in_bytes");
  return workingSet(usage, parseKeyedFile(memoryStat, "memory.stat").get("total_inactive_file"));
}

/** v1 `memory.limit_in_bytes`; no limit (a huge value) or one above the host's memory reports the host's memory. */
export function parseV1MemoryLimit(limitInBytes: string, hostMemoryBytes: number): number {
  const limit = parseBig(limitInBytes.trim(), "memory.limit_in_bytes");
  if (limit >= V1_UNLIMITED || limit > BigInt(hostMemoryBytes)) return hostMemoryBytes;
  return Number(limit);
}

/** v1 `memory.oom_control`: the `oom_kill` count, 0 on kernels that do not report it. */
export function parseV1OomKillCount(oomControl: string): number {
  return Number(parseKeyedFile(oomControl, "memory.oom_control").get("oom_kill") ?? 0n);
}

/** v2 `cpu.stat`: `usage_usec` as ns. */
export function parseV2CpuUsage(cpuStat: string): number {
  const usec = parseKeyedFile(cpuStat, "cpu.stat").get("usage_usec");
  if (usec === undefined) throw new CgroupError("cpu.stat", "runtime: cgroup file cpu.stat has no usage_usec line");
  return Number(usec * 1000n);
}

/** v2 memory usage as Docker reports it: `memory.current` minus `memory.stat` `inactive_file`. */
export function parseV2MemoryUsage(memoryCurrent: string, memoryStat: string): number {
  const usage = parseBig(memoryCurrent.trim(), "memory.current");
  return workingSet(usage, parseKeyedFile(memoryStat, "memory.stat").get("inactive_file"));
}

/** v2 `memory.max`; `max` (no limit) or a limit above the host's memory reports the host's memory. */
export function parseV2MemoryLimit(memoryMax: string, hostMemoryBytes: number): number {
  const text = memoryMax.trim();
  if (text === "max") return hostMemoryBytes;
  const limit = parseBig(text, "memory.max");
  return limit > BigInt(hostMemoryBytes) ? hostMemoryBytes : Number(limit);
}

/** v2 `memory.events`: the `oom_kill` count, 0 when the line is missing. */
export function parseV2OomKillCount(memoryEvents: string): number {
  return Number(parseKeyedFile(memoryEvents, "memory.events").get("oom_kill") ?? 0n);
}
