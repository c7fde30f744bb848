import { UsageError } from "../errors.js";

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration the way Docker (Go) writes them: `500ms`, `5s`, `1m30s`, `1.5h`, `0`. Returns whole
 * milliseconds, or undefined when `text` is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (s === "0") return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  return Math.round(total);
}

const DAY_MS = 24 * 3_600_000;

/**
 * Parses a certificate's validity: a duration as {@link parseDurationMs} reads it, optionally after whole days
 * (`90d`, `1d12h`, `8760h`, `30m`). Returns milliseconds, or undefined when `text` is not one.
 */
export function parseValidityMs(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(.*)$/.exec(text.trim());
  const days = m?.[1] === undefined ? undefined : Number(m[1]) * DAY_MS;
  const rest = m?.[2] ?? "";
  if (rest === "") return days;
  const ms = parseDurationMs(rest);
  return ms === undefined ? undefined : (days ?? 0) + ms;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * Parses a size as Docker's `--memory` does: bytes (`1048576`), or a number with k, m, g, t (binary, any
 * case, optional `b`/`ib`): `64M`, `1g`, `512kb`, `1.5GiB`. Returns bytes, or undefined when not a size.
 */
export function parseSizeBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? "").toLowerCase();
  if (unit === "" && m[3] !== undefined && m[3].toLowerCase() !== "b") return undefined;
  return Math.round(Number(m[1]) * (SIZE_UNITS[unit] as number));
}

/** A flag's value as a duration in ms, or a UsageError naming the flag. */
export function durationFlag(flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined)
    throw new UsageError(
      `invalid duration ${JSON.stringify(value)} for --${flag}: write it like 500ms, 5s, 1m30s or 2h`,
    );
  return ms;
}

/** A flag's value as a size in bytes, or a UsageError naming the flag. */
export function sizeFlag(flag: string, value: string): number {
  const b = parseSizeBytes(value);
  if (b === undefined)
    throw new UsageError(
      `invalid size ${JSON.stringify(value)} for --${flag}: write it as bytes or with a unit, like 64M, 512k or 1g`,
    );
  return b;
}

/** A flag's value as a whole number >= min, or a UsageError naming the flag. */
export function intFlag(flag: string, value: string, min = 0): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min)
    throw new UsageError(
      `invalid value ${JSON.stringify(value)} for --${flag}: expected a whole number${min > 0 ? ` of at least ${min}` : ""}`,
    );
  return Number(value);
}

/** A flag's value as a non-negative decimal number (CPUs), or a UsageError naming the flag. */
export function decimalFlag(flag: string, value: string): number {
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()))
    throw new UsageError(`invalid value ${JSON.stringify(value)} for --${flag}: expected a number such as 0.5 or 2`);
  return Number(value);
}

/** `1m30s`-style rendering of milliseconds, as Go prints durations. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1_000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1_000;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}

/** `bytes` in the largest unit of `units` (each `base` times the previous) that keeps the number >= 1. */
function scaled(bytes: number, base: number, units: readonly string[]): [number, string] {
  let v = bytes;
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return [v, units[i] as string];
}

/** Docker's human size: `1.2MB`, `512B` (decimal units, as `docker image ls` prints them). */
export function formatSize(bytes: number): string {
  const [v, unit] = scaled(bytes, 1000, ["B", "kB", "MB", "GB", "TB"]);
  return `${unit === "B" ? v : Number(v.toPrecision(3))}${unit}`;
}

/** Binary size for limits: `64MiB`, `1.5GiB`. */
export function formatBinarySize(bytes: number): string {
  const [v, unit] = scaled(bytes, 1024, ["B", "KiB", "MiB", "GiB", "TiB"]);
  return `${Number(v.toFixed(2))}${unit}`;
}

/** Docker's "how long ago": `Less than a second`, `5 seconds`, `About a minute`, `3 hours`, `2 days`. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}
