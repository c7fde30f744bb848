import { InvalidSpecError } from "../errors.js";
import type { RlimitSpec } from "../types.js";
import type { OciRlimit } from "./oci-config.js";

/** Resource limits Linux knows, by their `ulimit`-style names. */
export const RLIMIT_NAMES: readonly string[] = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

/** The open-files limit a container gets unless its spec sets one (what Docker's daemon passes on). */
export const DEFAULT_NOFILE = 1048576;

const KNOWN = new Set(RLIMIT_NAMES);

/**
 * The short name (`nofile`) of an rlimit written as `nofile`, `NOFILE` or `RLIMIT_NOFILE`. Throws
 * InvalidSpecError naming `field` when Linux has no such limit.
 */
export function normalizeRlimitName(type: string, field: string): string {
  const lower = type.trim().toLowerCase();
  const bare = lower.startsWith("rlimit_") ? lower.slice(7) : lower;
  if (KNOWN.has(bare)) return bare;
  throw new InvalidSpecError(field, `unknown rlimit ${JSON.stringify(type)}; use one of ${RLIMIT_NAMES.join(", ")}`);
}

/**
 * The rlimits for config.json: the spec's, then RLIMIT_NOFILE at the default (lowered to `maxNofile` when the
 * host cannot give more) when the spec leaves it out. Assumes a validated spec (known names, no duplicates).
 */
export function ociRlimits(rlimits: readonly RlimitSpec[] = [], maxNofile?: number): OciRlimit[] {
  const out = rlimits.map((r, i) => ({
    type: `RLIMIT_${normalizeRlimitName(r.type, `rlimits[${i}].type`).toUpperCase()}`,
    soft: r.soft,
    hard: r.hard,
  }));
  if (!out.some((r) => r.type === "RLIMIT_NOFILE")) {
    const nofile = Math.min(DEFAULT_NOFILE, maxNofile ?? DEFAULT_NOFILE);
    out.push({ type: "RLIMIT_NOFILE", soft: nofile, hard: nofile });
  }
  return out;
}
