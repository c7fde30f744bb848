import type { StoreEvent } from "@shoal/store";

/** A task was created or deleted, or its state or desired state changed (not a mere message or node move). */
export function taskMoved(e: StoreEvent): boolean {
  if (e.kind !== "task") return false;
  return (
    e.op !== "update" ||
    e.object.status.state !== e.previous?.status.state ||
    e.object.desiredState !== e.previous.desiredState
  );
}

/** A task's network addresses changed (the allocator gave them, or took them back). */
export function addressed(e: StoreEvent): boolean {
  return (
    e.kind === "task" && e.op === "update" && JSON.stringify(e.object.networks) !== JSON.stringify(e.previous?.networks)
  );
}
