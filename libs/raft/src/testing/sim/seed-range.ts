/** Which seeds a simulation test runs. */
export interface SeedRange {
  readonly start: number;
  readonly count: number;
}

/** Seeds a CI run covers at least. */
export const CI_MIN_SEEDS = 1000;

function readInt(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`sim: ${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Reads the seed range from the environment:
 * - `SHOAL_SIM_SEED=<n>` replays that one seed;
 * - otherwise `SHOAL_SIM_SEEDS=<count>` seeds (default `defaultCount`) from `SHOAL_SIM_START` (default 1);
 * - with `CI=true` the count is at least {@link CI_MIN_SEEDS}.
 */
export function seedRange(env: Readonly<Record<string, string | undefined>>, defaultCount: number): SeedRange {
  const one = readInt(env, "SHOAL_SIM_SEED");
  if (one !== undefined) return { start: one, count: 1 };
  const start = readInt(env, "SHOAL_SIM_START") ?? 1;
  let count = readInt(env, "SHOAL_SIM_SEEDS") ?? defaultCount;
  if (env["CI"] === "true") count = Math.max(count, CI_MIN_SEEDS);
  return { start, count };
}
