import { addressed, taskMoved } from "../model/events.js";
import { ControlLoop, type LoopEnv } from "../store/control-loop.js";
import { schedule } from "./tick.js";

/** The scheduler's leader loop. */
export function schedulerLoop(env: LoopEnv): ControlLoop {
  return new ControlLoop({
    name: "scheduler",
    ...env,
    // Also when the allocator gave a task its addresses: that is what it waited for.
    wants: (e) => e.kind === "node" || e.kind === "service" || taskMoved(e) || addressed(e),
    pass: (now) => ({ commands: schedule(env.store.state, now) }),
  });
}
