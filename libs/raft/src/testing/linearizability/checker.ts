import { explainIllegal } from "./explain.js";
import { type Operation, validateHistory } from "./history.js";
import type { Model, Partition } from "./model.js";
import { searchLinearization } from "./search.js";

/** Options of {@link checkOperations}. */
export interface CheckOptions {
  /** Give up after this long and answer `"unknown"`; no limit when absent. */
  readonly timeoutMs?: number;
  /** The clock, in milliseconds, for the timeout; `performance.now` when absent. */
  readonly now?: () => number;
}

/**
 * The verdict of a check. `"ok"`: some linearization exists. `"illegal"`: none does, and `info` says why.
 * `"unknown"`: the timeout was hit first (`info` says where); the history may be either.
 */
export interface CheckResult {
  readonly result: "ok" | "illegal" | "unknown";
  /** How many independent sub-histories the model's `partition` produced (1 without one). */
  readonly partitions: number;
  /** A readable explanation, for `"illegal"` and `"unknown"`. */
  readonly info?: string;
}

/**
 * Checks that `history` is linearizable with respect to `model`: that the operations could have taken effect
 * one at a time, each at some instant between its call and its return, with outputs the model agrees with.
 *
 * Indeterminate operations (`return: Infinity`, see {@link Operation}) may take effect anywhere after their
 * call, or not at all. Partitions are checked one after another; the first illegal one decides the result.
 * Throws a `HistoryError` for a history with unusable times.
 */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult {
  validateHistory(history);
  const now = options.now ?? (() => performance.now());
  const deadline = options.timeoutMs === undefined ? Infinity : now() + options.timeoutMs;
  const parts: Partition<I, O>[] = model.partition?.(history) ?? [{ label: "(whole history)", operations: history }];
  const indexOf = new Map(history.map((op, i) => [op, i]));

  for (const [done, part] of parts.entries()) {
    const outcome = searchLinearization(model, part.operations, () => now() >= deadline);
    switch (outcome.kind) {
      case "ok":
        break;
      case "timeout":
        return {
          result: "unknown",
          partitions: parts.length,
          info:
            `timed out after ${options.timeoutMs} ms checking partition ${part.label} ` +
            `(${part.operations.length} operations; ${done} of ${parts.length} partitions were linearizable)`,
        };
      case "illegal":
        return { result: "illegal", partitions: parts.length, info: explainIllegal(model, part, outcome, indexOf) };
    }
  }
  return { result: "ok", partitions: parts.length };
}
