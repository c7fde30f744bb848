import type { Entry, HardState, Snapshot } from "../core/types.js";

/**
 * The storage the node driver persists Raft state through. Implementations: {@link DiskStorage} (WAL and snapshot
 * files under a data dir) and {@link MemoryDurableStorage} (the in-memory twin for tests). Both follow the same
 * rules, checked by one shared test suite.
 */

/** Everything read back after a start. */
export interface PersistedState {
  /** The newest hard state; its commit is raised to the snapshot index when below it (a snapshot is committed). */
  hardState: HardState;
  /** The newest valid snapshot, or null. */
  snapshot: Snapshot | null;
  /** The log after the snapshot: contiguous from `snapshot.meta.index + 1` (or 1), overwrites applied. */
  entries: Entry[];
  /** Problems that were repaired (a torn WAL tail cut off, a corrupt snapshot set aside), for the operator's log. */
  warnings: string[];
}

/** One Ready batch to persist. */
export interface SaveBatch {
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader and restored by the core: the log before it is discarded. */
  readonly snapshot: Snapshot | null;
}

/**
 * Durable Raft state. `load()` must be called first, and again after a restart; `load()` and `close()` must not
 * overlap other calls. Everything a call persisted with `sync` is on stable storage when its promise resolves.
 */
export interface DurableStorage {
  /** Reads everything back after a start: newest valid snapshot, then the log entries after it, and the hard state. */
  load(): Promise<PersistedState>;
  /**
   * Persists one Ready batch in this order: a received snapshot (file, then WAL marker), entries, hard state;
   * one fdatasync when sync.
   */
  save(batch: SaveBatch, sync: boolean): Promise<void>;
  /**
   * Persists a snapshot the application made (file + WAL marker, synced), then releases WAL segments it covers,
   * keeping a few entries before it (option) so slow followers can still be served from the log.
   */
  saveSnapshot(snap: Snapshot): Promise<void>;
  close(): Promise<void>;
}

/** The implementations, re-exported so the driver imports storage from one place. */
export { DiskStorage, type DiskStorageOptions } from "./disk-storage.js";
export { MemoryDurableStorage, type MemoryDurableStorageOptions } from "./memory-durable-storage.js";
export {
  AesGcmRecordCipher,
  PLAIN_RECORDS,
  type AesGcmRecordCipherOptions,
  type RecordCipher,
} from "./record-cipher.js";
export { storedKeyIds } from "./stored-key-ids.js";
