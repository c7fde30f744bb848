import { InvalidSpecError } from "../errors.js";

/** What a volume name may look like (Docker's rule): a letter or digit, then up to 127 of `[A-Za-z0-9_.-]`. */
export const VOLUME_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Throws InvalidSpecError naming `field` unless `name` is a valid volume name. The pattern also keeps names
 * from escaping the volume root: no `/`, and no name starts with `.`.
 */
export function checkVolumeName(name: unknown, field = "name"): asserts name is string {
  if (typeof name !== "string" || !VOLUME_NAME_PATTERN.test(name)) {
    throw new InvalidSpecError(
      field,
      `volume name ${JSON.stringify(name)} is not allowed; use 1-128 characters of [A-Za-z0-9_.-], starting with a letter or digit`,
    );
  }
}

/**
 * Checks volume labels and returns a plain copy: keys must be non-empty strings and values strings. Throws
 * InvalidSpecError naming `labels.<key>`.
 */
export function checkVolumeLabels(labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) {
    throw new InvalidSpecError("labels", "must be an object mapping label names to string values");
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (key === "") throw new InvalidSpecError("labels", "a label name must not be empty");
    if (typeof value !== "string") {
      throw new InvalidSpecError(`labels.${key}`, `must be a string, got ${typeof value}`);
    }
    out[key] = value;
  }
  return out;
}
