import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerEvent } from "../types.js";
import { ContainerEvents } from "./container-events.js";

test("every listener gets each event in order, a throwing one does not stop the others, unsubscribe stops it", () => {
  const events = new ContainerEvents();
  const seen: string[] = [];
  events.subscribe(() => {
    throw new Error("listener bug");
  });
  const off = events.subscribe((e) => seen.push(`${e.type}:${e.id}`));
  const start: ContainerEvent = { type: "start", id: "a", time: "t1" };
  events.emit(start);
  events.emit({ type: "start", id: "b", time: "t2" });
  off();
  events.emit({ type: "start", id: "c", time: "t3" });
  assert.deepEqual(seen, ["start:a", "start:b"]);
});
