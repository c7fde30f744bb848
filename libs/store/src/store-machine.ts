import type { StateMachine } from "@shoal/raft";
import { AlreadyExistsError, NotFoundError, StoreError, VersionConflictError } from "./errors.js";
import { StoreState, type Command, type StoreEvent, type StoreSnapshot } from "./store-state.js";

/** One replicated entry: a batch of commands and the time the proposer stamped on it. */
export interface StoreEntry {
  time: string;
  commands: Command[];
}

/** How an entry came out, identically on every manager. */
export type ApplyOutcome =
  | { ok: true; events: StoreEvent[] }
  | {
      ok: false;
      error: { name: string; message: string; kind: string; key: string; expected?: number; actual?: number };
    };

/**
 * The store as a Raft state machine. A batch that a store rule refuses (version conflict, unknown id, taken
 * name) is refused the same way on every member and reported to its proposer; it changes nothing. Watchers
 * get the events of every applied batch, in log order.
 */
export class StoreMachine implements StateMachine<ApplyOutcome> {
  readonly state = new StoreState();
  private readonly watchers = new Set<(events: StoreEvent[]) => void>();

  apply(data: Uint8Array, index: number): ApplyOutcome {
    const entry = JSON.parse(Buffer.from(data).toString("utf8")) as StoreEntry;
    let events: StoreEvent[];
    try {
      events = this.state.apply(index, entry.time, entry.commands);
    } catch (err) {
      if (err instanceof StoreError) return { ok: false, error: describe(err) };
      throw err;
    }
    for (const w of this.watchers) {
      try {
        w(events);
      } catch {
        // A watcher's failure is its own; the state machine must go on identically on every member.
      }
    }
    return { ok: true, events };
  }

  snapshot(): Uint8Array {
    return Buffer.from(JSON.stringify(this.state.snapshot()));
  }

  restore(data: Uint8Array): void {
    this.state.restore(JSON.parse(Buffer.from(data).toString("utf8")) as StoreSnapshot);
  }

  /** Calls `fn` with the events of every batch applied from now on; returns the unsubscribe function. */
  watch(fn: (events: StoreEvent[]) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }
}

/** Encodes a batch for proposing. */
export function encodeEntry(entry: StoreEntry): Uint8Array {
  return Buffer.from(JSON.stringify(entry));
}

/** Turns a refused outcome back into the typed error the proposer throws. */
export function outcomeError(o: Extract<ApplyOutcome, { ok: false }>): StoreError {
  const e = o.error;
  if (e.name === "VersionConflictError")
    return new VersionConflictError(e.kind, e.key, e.expected ?? -1, e.actual ?? -1);
  if (e.name === "AlreadyExistsError") return new AlreadyExistsError(e.kind, e.key);
  return new NotFoundError(e.kind, e.key);
}

function describe(err: StoreError): Extract<ApplyOutcome, { ok: false }>["error"] {
  if (err instanceof VersionConflictError)
    return {
      name: err.name,
      message: err.message,
      kind: err.kind,
      key: err.id,
      expected: err.expected,
      actual: err.actual,
    };
  if (err instanceof AlreadyExistsError) return { name: err.name, message: err.message, kind: err.kind, key: err.key };
  if (err instanceof NotFoundError) return { name: err.name, message: err.message, kind: err.kind, key: err.id };
  return { name: err.name, message: err.message, kind: "", key: "" };
}
