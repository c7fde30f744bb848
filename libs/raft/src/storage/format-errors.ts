import { StorageFormatError, StorageKeyError } from "../errors.js";

/** What to do with a data dir from before encryption at rest; there is no in-place upgrade before 1.0. */
export const UPGRADE_ADVICE =
  "There is no in-place upgrade before 1.0: keep a backup of the data dir, start a new cluster with this version " +
  "and create the services again (docs/operations.md, Upgrades)";

/** The refusal of a file whose format `version` is not `current`: older (say what to do) or newer (run that build). */
export function unsupportedFormat(kind: string, file: string, version: number, current: number): StorageFormatError {
  const why =
    version < current
      ? `format version ${version}, written before Raft's storage was encrypted at rest; this build reads only ` +
        `version ${current}. ${UPGRADE_ADVICE}`
      : `format version ${version}, written by a newer build; this build reads version ${current}: run the newer build`;
  return new StorageFormatError(file, version, `raft: ${kind} ${file} has ${why}`);
}

/** Throws {@link StorageKeyError} when `fileKeyId` is not the key the storage was opened with. */
export function checkKeyId(file: string, fileKeyId: string, keyId: string): void {
  if (fileKeyId !== keyId) throw new StorageKeyError(file, fileKeyId, keyId);
}
