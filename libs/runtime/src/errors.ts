import { COMMON_ERRORS, errorRegistry, ShoalError } from "@shoal/common";

/**
 * The error codes of the container runtime (besides the common ones), with their status, meaning and remedy.
 * The agent raises them while it runs tasks (a user meets them in `shoal service ps` and the agent's log), and
 * its local API answers with them for `shoal image load|ls|rm`.
 */
export const RUNTIME_ERRORS = errorRegistry({
  SHOAL_ERR_INVALID_STATE: {
    status: 409,
    meaning:
      "a container is not in a state that allows the operation (start one that runs, stop one never started, write to a closed log)",
    action: "read the container's state in the message and do what it allows (remove it instead of stopping it, ...)",
  },
  SHOAL_ERR_INVALID_REFERENCE: {
    status: 400,
    meaning: "an image reference cannot be parsed",
    action:
      "write it as [registry/]name[:tag][@sha256:digest], for example `nginx:1.27` or `ghcr.io/org/app@sha256:...`",
  },
  SHOAL_ERR_CORRUPT_IMAGE: {
    status: 422,
    meaning:
      "an image archive or blob is damaged or not an image (truncated or bad tar or gzip, bad JSON, missing file); nothing of it was kept",
    action: "save the image again (`docker save`) and load that, or pull it again",
  },
  SHOAL_ERR_DIGEST_MISMATCH: {
    status: 422,
    meaning: "downloaded or loaded bytes do not match the sha256 digest that names them: corrupt or tampered with",
    action: "pull or load the image again; if it repeats, the registry or the archive is bad",
  },
  SHOAL_ERR_PATH_ESCAPE: {
    status: 422,
    meaning:
      "an image layer holds an entry that would write outside its root (`..`, an absolute path, through a symlink); the image was refused",
    action: "do not use that image: rebuild it from a trusted source",
  },
  SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning:
      "an image's manifest, config or layer has a media type the runtime does not handle (Docker schema 1, not a container image)",
    action: "use an image in OCI or Docker schema 2 format (push it again with a current docker or buildah)",
  },
  SHOAL_ERR_REGISTRY: {
    status: 502,
    meaning: "talking to an image registry failed: unreachable, refused the credentials, or answered with an error",
    action:
      "check the image name and the node's access to the registry; a 5xx or network failure is retried, an auth refusal needs credentials",
  },
  SHOAL_ERR_MISSING_DEPENDENCY: {
    status: 500,
    meaning: "a program the runtime needs on the node (runc, mount, setfattr, the shim) is missing or does not work",
    action: "install it as the message says (`infra/install.sh` installs all of them)",
  },
  SHOAL_ERR_OCI_RUNTIME: {
    status: 500,
    meaning: "runc refused or failed an operation on a container; the message carries its last words",
    action: "fix what runc's output names (a bad mount, a command not in the image); the agent's log has the rest",
  },
  SHOAL_ERR_STORAGE: {
    status: 507,
    meaning:
      "reading or writing the runtime's data dir failed (full disk, read-only file system, damaged metadata); the operation was rolled back",
    action: "free disk space or fix the file the message names, then retry",
  },
  SHOAL_ERR_EXEC_TIMEOUT: {
    status: 504,
    meaning:
      "a command run in a container (an exec or a health probe) did not finish within its timeout and was killed",
    action: "make the probe faster, or give the health check a longer timeout",
  },
  SHOAL_ERR_EXECUTOR_CLOSED: {
    status: 503,
    meaning: "the agent's container executor was closed (the agent is stopping); its containers keep running",
    action: "retry once the agent has restarted: it takes the containers over",
  },
  SHOAL_ERR_PULL_NOT_CONFIGURED: {
    status: 501,
    meaning: "an image pull was asked of an image store without a registry client",
    action: "load the image from a tarball instead (`shoal image load`)",
  },
  SHOAL_ERR_CGROUP: {
    status: 500,
    meaning:
      "a container's cgroup could not be read: the cgroup hierarchy is not mounted, the container is not running, or a cgroup file could not be parsed",
    action: "check that the container still runs and that /sys/fs/cgroup is mounted on the node",
  },
});

/**
 * Typed errors of the container runtime. Each has a stable `code`, the HTTP `status` the API maps it to, and
 * `temporary` when the same call may succeed later. Messages start with `runtime:` and name what is wrong and
 * how to fix it. Decide what to do from the class and fields, never from the text.
 */
export abstract class RuntimeError extends ShoalError {}

/** No image, container, volume or exec session has this name or id. */
export class NotFoundError extends RuntimeError {
  readonly code = "SHOAL_ERR_NOT_FOUND";
  readonly status = COMMON_ERRORS[this.code].status;
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
  readonly status = COMMON_ERRORS[this.code].status;
  constructor(
    readonly kind: "container" | "volume" | "image",
    readonly ref: string,
    message?: string,
  ) {
    super(
      message ?? `runtime: a ${kind} named ${JSON.stringify(ref)} already exists; pick another name or remove it first`,
    );
  }
}

/** The object is in use and cannot be removed or changed now (image used by a container, volume mounted). */
export class InUseError extends RuntimeError {
  readonly code = "SHOAL_ERR_IN_USE";
  readonly status = COMMON_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = COMMON_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  /** The same for PathEscapeError, whose code overrides this one. */
  readonly status: number = RUNTIME_ERRORS.SHOAL_ERR_CORRUPT_IMAGE.status;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bytes whose sha256 differs from the digest that names them. */
export class DigestMismatchError extends RuntimeError {
  readonly code = "SHOAL_ERR_DIGEST_MISMATCH";
  readonly status = RUNTIME_ERRORS[this.code].status;
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly what: string,
  ) {
    super(
      `runtime: ${what}: digest mismatch: expected ${expected}, got ${actual}; the data is corrupt or was tampered with`,
    );
  }
}

/** A layer entry that would write outside the layer root (`..`, absolute path, through a symlink). */
export class PathEscapeError extends CorruptImageError {
  override readonly code = "SHOAL_ERR_PATH_ESCAPE";
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(
      `runtime: layer entry ${JSON.stringify(entry)} ${reason}; refusing to extract an image that escapes its root`,
    );
  }
}

/** A manifest, config or layer media type this runtime does not handle. */
export class UnsupportedMediaTypeError extends RuntimeError {
  readonly code = "SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE";
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An exec or health probe ran past its timeout and was killed. */
export class ExecTimeoutError extends RuntimeError {
  readonly code = "SHOAL_ERR_EXEC_TIMEOUT";
  readonly status = RUNTIME_ERRORS[this.code].status;
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
  readonly status = RUNTIME_ERRORS[this.code].status;
  constructor(readonly operation: string) {
    super(
      `runtime: cannot ${operation}: the executor was closed; open a new one on the same host to manage its containers`,
    );
  }
}

/** `pull` was called on an image store that has no registry client; load images from a tarball instead. */
export class PullNotConfiguredError extends RuntimeError {
  readonly code = "SHOAL_ERR_PULL_NOT_CONFIGURED";
  readonly status = RUNTIME_ERRORS[this.code].status;
  constructor(readonly ref: string) {
    super(
      `runtime: cannot pull ${JSON.stringify(ref)}: this image store has no registry client configured; give it an ImageFetcher, or load the image from a tarball`,
    );
  }
}

/**
 * A container's cgroup could not be read: the hierarchy is not mounted, the container's cgroup dir is gone
 * (it is not running), or a cgroup file held something the runtime cannot parse. `path` names the file or dir.
 */
export class CgroupError extends RuntimeError {
  readonly code = "SHOAL_ERR_CGROUP";
  readonly status = RUNTIME_ERRORS[this.code].status;
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
