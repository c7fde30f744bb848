/** Names of the properties the simulator checks; a failure reports one of them. */
export type InvariantName =
  | "election-safety"
  | "vote-once"
  | "log-matching"
  | "leader-completeness"
  | "commit-safety"
  | "durable-quorum"
  | "state-machine-safety"
  | "monotonic-commit"
  | "monotonic-applied"
  | "apply-order"
  | "durable-commit"
  | "core-error"
  | "convergence"
  | "linearizability";

/** Thrown by a check the moment a property is broken; the simulation turns it into a {@link SimFailure}. */
export class InvariantViolation extends Error {
  constructor(
    readonly invariant: InvariantName,
    readonly detail: string,
  ) {
    super(`sim: ${invariant}: ${detail}`);
    this.name = "InvariantViolation";
  }
}

/** A failed run: which seed, at which event, which property, and the events that led there. */
export class SimFailure extends Error {
  constructor(
    readonly seed: number,
    readonly eventIndex: number,
    readonly time: number,
    readonly invariant: InvariantName,
    readonly detail: string,
    readonly trace: readonly string[],
    options?: { cause?: unknown; runOptions?: Readonly<Record<string, unknown>> },
  ) {
    const extra =
      options?.runOptions && Object.keys(options.runOptions).length > 0
        ? ` with options ${JSON.stringify(options.runOptions)}`
        : "";
    super(
      `sim: seed ${seed} broke ${invariant} at event ${eventIndex} (t=${time.toFixed(2)}ms): ${detail}\n` +
        `replay: SHOAL_SIM_SEED=${seed}${extra}\n` +
        `last ${trace.length} trace lines:\n${trace.join("\n")}`,
      { cause: options?.cause },
    );
    this.name = "SimFailure";
  }
}
