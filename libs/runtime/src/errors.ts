import { ShoalError } from "@shoal/common";

/**
 * Typed errors of the container runtime. Each has a stable `code`, the HTTP `status` the API maps it to, and
 * `temporary` when the same call may succeed later. Messages start with `runtime:` and name what is wrong and
 * how to fix it. Decide what to do from the class and fields, never from the text.
 */
export abstract class RuntimeError extends ShoalError {}

/** No image, container, volume or exec session has this name or id. */
export class NotFoundError extends RuntimeError {
  readonly code = "SHOAL_ERR_NOT_FOUND";
  readonly status = 404;
  constructor(
    readonly kind: "image" | "container" | "volume" | "blob" | "layer",
    readonly ref: string,
    message?: string,
  ) {
    super(message ?? `runtime: no ${kind} named ${JSON.stringify(ref)}`);
  }
}

/** A name is already taken (container id, volume name). */
export class AlreadyExistsError extends RuntimeError {
  readonly code = "SHOAL_ERR_ALREADY_EXISTS";
  readonly status = 409;
  constructor(
    readonly kind: "container" | "volume" | "image",
    readonly ref: string,
    message?: string,
  ) {
    super(message ?? `runtime: a ${kind} named ${JSON.stringify(ref)} already exists; pick another name or remove it first`);
  }
}

/** The object is in use and cannot be removed or changed now (image used by a container, volume mounted). */
export class InUseError extends RuntimeError {
  readonly code = "SHOAL_ERR_IN_USE";
  readonly status = 409;
  constructor(
    readonly kind: "image" | "volume" | "container",
    readonly ref: string,
    /** The ids of what uses it. */
    readonly users: readonly string[],
    message?: string,
  ) {
    super(message ?? `runtime: ${kind} ${JSON.stringify(ref)} is in use by ${users.join(", ")}; remove those first`);
  }
}

/** The container is not in a state that allows the operation (start a running container, exec in a stopped one). */
export class InvalidStateError extends RuntimeError {
  readonly code = "SHOAL_ERR_INVALID_STATE";
  readonly status = 409;
  constructor(
    readonly id: string,
    readonly state: string,
    message: string,
  ) {
    super(message);
  }
}

/** A spec or request field is invalid: `field` names it (dotted path), the message says what is allowed. */
export class InvalidSpecError extends RuntimeError {
  readonly code = "SHOAL_ERR_INVALID_SPEC";
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`runtime: invalid ${field}: ${message}`);
  }
}

/** An image reference that cannot be parsed. */
export class InvalidReferenceError extends RuntimeError {
  readonly code = "SHOAL_ERR_INVALID_REFERENCE";
  readonly status = 400;
  constructor(
    readonly ref: string,
    reason: string,
  ) {
    super(`runtime: invalid image reference ${JSON.stringify(ref)}: ${reason}`);
  }
}

/**
 * An image archive or blob is damaged or malicious: truncated or corrupt tar or gzip, digest mismatch, missing
 * file, an entry that would escape the layer root. Nothing of the import is kept.
 */
export class CorruptImageError extends RuntimeError {
  readonly code: string = "SHOAL_ERR_CORRUPT_IMAGE";
  readonly status = 422;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bytes whose sha256 differs from the digest that names them. */
export class DigestMismatchError extends RuntimeError {
  readonly code = "SHOAL_ERR_DIGEST_MISMATCH";
  readonly status = 422;
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly what: string,
  ) {
    super(`runtime: ${what}: digest mismatch: expected ${expected}, got ${actual}; the data is corrupt or was tampered with`);
  }
}

/** A layer entry that would write outside the layer root (`..`, absolute path, through a symlink). */
export class PathEscapeError extends CorruptImageError {
  override readonly code = "SHOAL_ERR_PATH_ESCAPE";
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(`runtime: layer entry ${JSON.stringify(entry)} ${reason}; refusing to extract an image that escapes its root`);
  }
}

/** A manifest, config or layer media type this runtime does not handle. */
export class UnsupportedMediaTypeError extends RuntimeError {
  readonly code = "SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE";
  readonly status = 415;
  constructor(
    readonly mediaType: string,
    what: string,
  ) {
    super(`runtime: ${what} has unsupported media type ${JSON.stringify(mediaType)}`);
  }
}

/** Talking to a registry failed (HTTP error, auth refused, unreachable). `temporary` for 5xx and network errors. */
export class RegistryError extends RuntimeError {
  readonly code = "SHOAL_ERR_REGISTRY";
  readonly status = 502;
  override readonly temporary: boolean;
  constructor(
    message: string,
    readonly httpStatus: number | undefined,
    options?: { cause?: unknown; temporary?: boolean },
  ) {
    super(message, options);
    this.temporary = options?.temporary ?? (httpStatus === undefined || httpStatus >= 500);
  }
}

/** A required host program (runc, mount, the shim) is missing or does not work. */
export class MissingDependencyError extends RuntimeError {
  readonly code = "SHOAL_ERR_MISSING_DEPENDENCY";
  readonly status = 500;
  constructor(
    readonly program: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The OCI runtime (runc) refused or failed an operation; `stderr` holds its last words. */
export class OciRuntimeError extends RuntimeError {
  readonly code = "SHOAL_ERR_OCI_RUNTIME";
  readonly status = 500;
  constructor(
    message: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Writing to the data dir failed (full disk, read-only fs); the operation was rolled back. */
export class StorageError extends RuntimeError {
  readonly code = "SHOAL_ERR_STORAGE";
  readonly status = 507;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An exec or health probe ran past its timeout and was killed. */
export class ExecTimeoutError extends RuntimeError {
  readonly code = "SHOAL_ERR_EXEC_TIMEOUT";
  readonly status = 504;
  override readonly temporary = true;
  constructor(
    readonly id: string,
    readonly timeoutMs: number,
  ) {
    super(`runtime: exec in container ${id} did not finish within ${timeoutMs} ms and was killed`);
  }
}

/** The executor was closed; its containers keep running and a new executor on the same host can manage them. */
export class ExecutorClosedError extends RuntimeError {
  readonly code = "SHOAL_ERR_EXECUTOR_CLOSED";
  readonly status = 503;
  constructor(readonly operation: string) {
    super(`runtime: cannot ${operation}: the executor was closed; open a new one on the same host to manage its containers`);
  }
}

/** `pull` was called on an image store that has no registry client; load images from a tarball instead. */
export class PullNotConfiguredError extends RuntimeError {
  readonly code = "SHOAL_ERR_PULL_NOT_CONFIGURED";
  readonly status = 501;
  constructor(readonly ref: string) {
    super(`runtime: cannot pull ${JSON.stringify(ref)}: this image store has no registry client configured; give it an ImageFetcher, or load the image from a tarball`);
  }
}

/**
 * A container's cgroup could not be read: the hierarchy is not mounted, the container's cgroup dir is gone
 * (it is not running), or a cgroup file held something the runtime cannot parse. `path` names the file or dir.
 */
export class CgroupError extends RuntimeError {
  readonly code = "SHOAL_ERR_CGROUP";
  readonly status = 500;
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
