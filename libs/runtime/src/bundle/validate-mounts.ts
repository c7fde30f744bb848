import { InvalidSpecError } from "../errors.js";
import type { MountSpec } from "../types.js";
import { VOLUME_NAME_PATTERN, isNormalAbsolutePath, isWithin } from "./spec-rules.js";

/**
 * Checks a spec's mounts: targets absolute, in normal form, not `/`, not inside /proc (runc refuses those) and
 * not repeated; bind sources absolute; volume names valid; tmpfs sizes positive and modes within 0..07777.
 * Throws InvalidSpecError naming `mounts[i].<field>`.
 */
export function validateMounts(mounts: readonly MountSpec[]): void {
  const seen = new Map<string, number>();
  mounts.forEach((m, i) => {
    const at = `mounts[${i}]`;
    const target: unknown = m.target;
    if (typeof target !== "string" || !isNormalAbsolutePath(target)) {
      throw new InvalidSpecError(
        `${at}.target`,
        `${JSON.stringify(target)} is not an absolute path in normal form; write it like /data (no ., .., // or trailing /)`,
      );
    }
    if (target === "/")
      throw new InvalidSpecError(`${at}.target`, `cannot mount over /; the image is the root filesystem`);
    if (isWithin(target, "/proc")) {
      throw new InvalidSpecError(
        `${at}.target`,
        `${target} is inside /proc, which the runtime owns; mount somewhere else`,
      );
    }
    const earlier = seen.get(target);
    if (earlier !== undefined) {
      throw new InvalidSpecError(
        `${at}.target`,
        `${target} is already the target of mounts[${earlier}]; give each mount its own target`,
      );
    }
    seen.set(target, i);
    switch (m.type) {
      case "volume":
        if (typeof m.source !== "string" || !VOLUME_NAME_PATTERN.test(m.source)) {
          throw new InvalidSpecError(
            `${at}.source`,
            `${JSON.stringify(m.source)} is not a volume name; use 2-255 characters [A-Za-z0-9_.-] starting with a letter or digit`,
          );
        }
        break;
      case "bind":
        if (typeof m.source !== "string" || !isNormalAbsolutePath(m.source)) {
          throw new InvalidSpecError(
            `${at}.source`,
            `${JSON.stringify(m.source)} is not an absolute host path in normal form; write it like /srv/data`,
          );
        }
        break;
      case "tmpfs":
        if (m.sizeBytes !== undefined && (!Number.isSafeInteger(m.sizeBytes) || m.sizeBytes <= 0)) {
          throw new InvalidSpecError(
            `${at}.sizeBytes`,
            `${m.sizeBytes} is not a size; give a whole number of bytes > 0, or leave it out`,
          );
        }
        if (m.mode !== undefined && (!Number.isInteger(m.mode) || m.mode < 0 || m.mode > 0o7777)) {
          throw new InvalidSpecError(
            `${at}.mode`,
            `${m.mode} is not a file mode; give a number from 0 to 0o7777, like 0o1777`,
          );
        }
        break;
      default: {
        const type: unknown = (m as { type: unknown }).type;
        throw new InvalidSpecError(
          `${at}.type`,
          `${JSON.stringify(type)} is not a mount type; use volume, bind or tmpfs`,
        );
      }
    }
  });
}
