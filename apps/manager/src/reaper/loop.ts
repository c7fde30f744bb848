import { taskMoved } from "../model/events.js";
import { ControlLoop, type LoopEnv } from "../store/control-loop.js";
import { reap } from "./reaper.js";

/** The task reaper's leader loop. */
export function reaperLoop(env: LoopEnv): ControlLoop {
  return new ControlLoop({
    name: "reaper",
    ...env,
    // A task becomes reapable when it ends or when it is told to stop (its replacement was made).
    wants: (e) => e.op === "update" && taskMoved(e),
    pass: () => ({ commands: reap(env.store.state, env.store.state.cluster()?.spec.taskHistoryRetentionLimit ?? 5) }),
  });
}
