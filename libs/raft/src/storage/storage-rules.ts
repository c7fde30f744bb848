import type { HardState, Snapshot, SnapshotMeta } from "../core/types.js";
import { RaftConfigError } from "../errors.js";
import type { PersistedState } from "./durable-storage.js";
import type { LogPosition, SnapshotMarker } from "./replay-log.js";

/**
 * Rules that {@link DiskStorage} and {@link MemoryDurableStorage} share, so the twin behaves like the real thing.
 */

/** Default number of entries kept in the WAL below a new snapshot, for followers that lag a little. */
export const DEFAULT_RETAIN_ENTRIES = 5000;
/** Default number of snapshot files kept. */
export const DEFAULT_RETAIN_SNAPSHOTS = 2;

/** Checks an option that must be a non-negative integer. */
export function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RaftConfigError(`raft: storage option ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** The load result; the hard state's commit is raised to the snapshot index (the core refuses a commit below it). */
export function persistedState(
  hardState: HardState,
  snapshot: Snapshot | null,
  entries: PersistedState["entries"],
  warnings: string[],
): PersistedState {
  const floor = snapshot?.meta.index ?? 0;
  const hs = hardState.commit < floor ? { ...hardState, commit: floor } : hardState;
  return { hardState: hs, snapshot, entries, warnings };
}

/**
 * The marker a load must add to the WAL when a snapshot file exists that the WAL does not know about (a crash
 * between writing the file and the marker), or null. When the WAL's log disagrees with the snapshot at its index,
 * the marker resets the log, as the core did when it took the snapshot.
 */
export function markerToRestore(
  snap: SnapshotMeta | null,
  wal: { readonly snapshot: LogPosition | null; readonly startMatches: boolean },
): SnapshotMarker | null {
  if (snap === null || (wal.snapshot !== null && wal.snapshot.index >= snap.index)) return null;
  return { index: snap.index, term: snap.term, resetsLog: !wal.startMatches };
}

/**
 * Where the WAL may be released to after a snapshot at `snapIndex`: `retainEntries` below it, and never past the
 * oldest snapshot still kept, so that falling back to that one (when the newest is found corrupt) still finds the
 * entries after it.
 */
export function releaseIndex(snapIndex: number, retainEntries: number, oldestKeptIndex: number): number {
  return Math.min(snapIndex - retainEntries, oldestKeptIndex);
}

/** The error for using storage before `load()`. */
export function notLoaded(): RaftConfigError {
  return new RaftConfigError("raft: storage used before load(): call load() after opening or restarting it");
}
