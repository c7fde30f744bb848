import { newId } from "../ids.js";
import { taskMoved } from "../model/events.js";
import { ControlLoop, type LoopEnv } from "../store/control-loop.js";
import { orchestrate } from "./tick.js";

/** The orchestrator's leader loop: runs a pass on every change but task moves that change nothing it decides on. */
export function orchestratorLoop(env: LoopEnv): ControlLoop {
  return new ControlLoop({
    name: "orchestrator",
    ...env,
    wants: (e) => e.kind !== "task" || taskMoved(e),
    pass: (now) => orchestrate(env.store.state, now, () => newId(now)),
  });
}
