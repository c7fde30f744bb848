import type { Command, Kind, ObjectTypes } from "./store-state.js";

/** A stored object without the fields the store sets itself (version and times): what a command carries. */
export function withoutMeta<T extends { version: number; createdAt: string; updatedAt: string }>(
  o: T,
): Omit<T, "version" | "createdAt" | "updatedAt"> {
  const { version: _v, createdAt: _c, updatedAt: _u, ...rest } = o;
  return rest;
}

/**
 * An update of a stored object with `change` applied, conditional on the version it was read at: when
 * someone wrote it meanwhile the batch fails with a version conflict instead of overwriting that write.
 * A field set to undefined in `change` is removed (commands travel as JSON).
 */
export function updateOf<K extends Kind>(
  kind: K,
  current: ObjectTypes[K],
  change: Partial<Omit<ObjectTypes[K], "version" | "createdAt" | "updatedAt">>,
): Command {
  const object = { ...withoutMeta(current), ...change };
  return { op: "update", kind, object, expectedVersion: current.version } as unknown as Command;
}
