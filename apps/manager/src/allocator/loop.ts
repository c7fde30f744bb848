import { taskMoved } from "../model/events.js";
import { ControlLoop, type LoopEnv } from "../store/control-loop.js";
import { allocate } from "./allocate.js";

/** The network allocator's leader loop. */
export function allocatorLoop(env: LoopEnv): ControlLoop {
  return new ControlLoop({
    name: "allocator",
    ...env,
    // Networks and services as they come and change; tasks when they are made or end (addresses free up).
    wants: (e) =>
      e.kind === "network" ||
      e.kind === "service" ||
      e.kind === "cluster" ||
      (e.kind === "task" && (e.op === "create" || taskMoved(e))),
    pass: () => ({ commands: allocate(env.store.state) }),
  });
}
