import type { Operation } from "./history.js";

/** The result of applying one operation to a model state: whether the output fits, and the state after it. */
export interface StepResult<S> {
  readonly ok: boolean;
  readonly state: S;
}

/** One independent sub-history, with a label that names it in reports (for example `key "x"`). */
export interface Partition<I, O> {
  readonly label: string;
  readonly operations: readonly Operation<I, O>[];
}

/**
 * A sequential specification of the system under test, as the linearizability checker sees it.
 *
 * Invariants the checker relies on:
 * - `step` is pure and deterministic: the same state, input and output give the same result, and it never
 *   mutates `state` (the checker keeps old states to backtrack to).
 * - `equal(a, b)` implies `hash(a) === hash(b)`; states with the same hash are compared with `equal`.
 * - Indeterminate operations (see {@link Operation}) carry a model-specific "unknown" output. `step` must accept
 *   it as matching whatever the operation would have returned, and apply the operation's effect as if it ran.
 *   The checker covers "it never took effect" by placing such an operation after every other one.
 * - `partition`, when given, splits a history into sub-histories that touch disjoint parts of the state (for a
 *   key-value store: one per key). Each is checked from `init()` on its own, which is sound only if they are
 *   truly independent.
 */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /** Applies `input` to `state`; `ok` is false when `output` is not what the operation returns in `state`. */
  step(state: S, input: I, output: O): StepResult<S>;
  /** Whether two states are the same for every future operation. */
  equal(a: S, b: S): boolean;
  /** A string key of the state for the search's memo cache; equal states must hash the same. */
  hash(state: S): string;
  /** Splits a history into independent sub-histories; without it the history is checked as one. */
  partition?(operations: readonly Operation<I, O>[]): Partition<I, O>[];
  /** One line describing an operation and its result, for failure reports: `get("x") -> "1"`. */
  describeOperation(input: I, output: O): string;
  /** One line describing a state, for failure reports; the hash is shown when absent. */
  describeState?(state: S): string;
}
