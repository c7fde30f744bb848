import { HistoryError } from "./errors.js";

/**
 * One client operation as observed from outside the system: invoked at `call`, answered at `return`.
 *
 * Times are any monotonic numbers shared by all clients of the history (simulator ticks, `performance.now()`
 * of one process...). Two operations overlap, and may be linearized in either order, unless one returned
 * strictly before the other was called; equal times count as overlapping.
 *
 * An INDETERMINATE operation (the client timed out, or the server crashed before answering: it may or may not
 * have taken effect) has `return: Infinity` and as `output` the model's "unknown" marker (for the KV model,
 * `KV_UNKNOWN`), which the model's `step` accepts as matching any result. The checker may then place it
 * anywhere after its call, or after every other operation, which is the same as "it never took effect".
 */
export interface Operation<I, O> {
  /** Which client issued it; reports only, the checker orders operations by time alone. */
  readonly clientId: number;
  readonly input: I;
  /** When the client sent it. Finite. */
  readonly call: number;
  readonly output: O;
  /** When the client got the answer, `>= call`; `Infinity` if it never did (indeterminate). */
  readonly return: number;
}

/** Throws a {@link HistoryError} naming the first operation whose times are not usable. */
export function validateHistory(operations: readonly Operation<unknown, unknown>[]): void {
  operations.forEach((op, i) => {
    if (!Number.isFinite(op.call)) {
      throw new HistoryError(`operation ${i} (client ${op.clientId}) has call time ${op.call}: it must be finite`);
    }
    if (Number.isNaN(op.return) || op.return < op.call) {
      throw new HistoryError(
        `operation ${i} (client ${op.clientId}) returns at ${op.return}, before its call at ${op.call}: ` +
          "record the return time after the answer arrives, or Infinity if it never did",
      );
    }
  });
}

/** The handle of one recorded call: complete it exactly once. */
export interface PendingCall<O> {
  /** The operation returned `output` at time `now`. */
  ok(output: O, now: number): void;
  /** The outcome will never be known (timeout, crash): records the operation as indeterminate. */
  unknown(): void;
}

interface Slot<I, O> {
  readonly clientId: number;
  readonly input: I;
  readonly call: number;
  output?: O;
  return?: number;
}

/**
 * Collects a history from clients: `const done = rec.call(clientId, input, now)`, then `done.ok(output, now)`
 * or `done.unknown()`. Calls still pending when {@link HistoryRecorder.operations} is read count as
 * indeterminate, which is what they are when the run ends with requests in flight.
 */
export class HistoryRecorder<I, O> {
  private readonly slots: Slot<I, O>[] = [];

  /** `unknownOutput` is the model's marker for an output that was never observed. */
  constructor(private readonly unknownOutput: O) {}

  /** Records that `clientId` invoked `input` at `now`. */
  call(clientId: number, input: I, now: number): PendingCall<O> {
    const slot: Slot<I, O> = { clientId, input, call: now };
    this.slots.push(slot);
    const complete = (output: O, at: number): void => {
      if (slot.return !== undefined) {
        throw new HistoryError(`client ${clientId}'s call at ${slot.call} was completed twice: complete it once`);
      }
      if (at < slot.call) {
        throw new HistoryError(`client ${clientId}'s call at ${slot.call} returned at ${at}, before it was made`);
      }
      slot.output = output;
      slot.return = at;
    };
    return {
      ok: (output, at) => complete(output, at),
      unknown: () => complete(this.unknownOutput, Infinity),
    };
  }

  /** The number of calls not completed yet. */
  get pending(): number {
    return this.slots.filter((s) => s.return === undefined).length;
  }

  /** The history so far, in call order; pending calls appear as indeterminate. */
  operations(): Operation<I, O>[] {
    return this.slots.map((s) => ({
      clientId: s.clientId,
      input: s.input,
      call: s.call,
      output: s.return === undefined ? this.unknownOutput : (s.output as O),
      return: s.return ?? Infinity,
    }));
  }
}
