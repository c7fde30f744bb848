/** Error codes of the harness. */
export type HarnessErrorCode = "SHOAL_ERR_HARNESS_DOCKER" | "SHOAL_ERR_HARNESS_NODE" | "SHOAL_ERR_HARNESS_IMAGE";

/** A failure of the harness itself (not of the cluster under test), with a stable code. */
export class HarnessError extends Error {
  override readonly name = "HarnessError";
  constructor(
    readonly code: HarnessErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
