/**
 * The application state replicated by a {@link RaftNode}. Called only from the node's apply loop, one entry
 * at a time in log order; never concurrently.
 */
export interface StateMachine<R = unknown> {
  /** Applies one committed command and returns its result (handed to whoever proposed it). */
  apply(data: Uint8Array, index: number): R;
  /** Serializes the whole state as of the last applied entry. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}
