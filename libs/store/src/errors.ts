import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";

/** The error codes of the store (besides the common ones), with their status, meaning and remedy. */
export const STORE_ERRORS = errorRegistry({
  SHOAL_ERR_VERSION_CONFLICT: {
    status: 409,
    meaning: "the object changed since the caller read it (another command or a control loop wrote it meanwhile)",
    action: "inspect it again and retry the change on the current version",
  },
});

/**
 * Typed errors of the store. Each has a stable `code` and the HTTP `status` the API maps it to. Messages start
 * with `store:` and say what to do.
 */
export abstract class StoreError extends ShoalError {}

/** No object of this kind has this id. */
export class NotFoundError extends StoreError {
  readonly code = "SHOAL_ERR_NOT_FOUND";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`store: no ${kind} ${JSON.stringify(id)}`);
  }
}

/** An object with this id, or a service or network with this name, already exists. */
export class AlreadyExistsError extends StoreError {
  readonly code = "SHOAL_ERR_ALREADY_EXISTS";
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly kind: string,
    readonly key: string,
  ) {
    super(`store: a ${kind} named ${JSON.stringify(key)} already exists; pick another name or update that one`);
  }
}

/** The object changed since the caller read it: `expected` is the version the caller saw, `actual` the current. */
export class VersionConflictError extends StoreError {
  readonly code = "SHOAL_ERR_VERSION_CONFLICT";
  readonly status = STORE_ERRORS[this.code].status;
  constructor(
    readonly kind: string,
    readonly id: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `store: ${kind} ${id} is at version ${actual}, not ${expected}: it changed since you read it; read it again and retry`,
      {
        hint: "someone changed it meanwhile: inspect it again and retry with the new version",
      },
    );
  }
}
