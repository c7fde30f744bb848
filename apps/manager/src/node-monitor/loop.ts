import { updateOf, type Command } from "@shoal/store";
import { ControlLoop, type LoopEnv } from "../store/control-loop.js";
import { checkHeartbeats } from "./node-monitor.js";

/** The last heartbeat of each node this manager heard (epoch ms); the dispatcher keeps it. */
export type HeartbeatBook = ReadonlyMap<string, number>;

/**
 * The node monitor's leader loop: every half heartbeat period, marks down the ready nodes that missed
 * `missed` heartbeats (default 3), counting from `leaderSince` for nodes this leader has not heard yet.
 */
export function nodeMonitorLoop(
  env: LoopEnv,
  o: { heartbeats: HeartbeatBook; leaderSince: number; missed?: number },
): ControlLoop {
  const period = () => env.store.state.cluster()?.spec.heartbeatPeriodMs ?? 1_000;
  return new ControlLoop({
    name: "node-monitor",
    ...env,
    wants: () => false,
    intervalMs: Math.max(50, Math.floor(period() / 2)),
    pass: (now) => {
      const state = env.store.state;
      const d = checkHeartbeats(state.list("node"), o.heartbeats, now, {
        periodMs: period(),
        missed: o.missed ?? 3,
        leaderSince: o.leaderSince,
      });
      const commands: Command[] = [];
      for (const down of d.down) {
        const n = state.get("node", down.nodeId);
        if (!n) continue;
        env.log.warn("node down", { node: n.id, hostname: n.description.hostname, reason: down.message });
        commands.push(updateOf("node", n, { status: { ...n.status, state: "down", message: down.message } }));
      }
      return { commands };
    },
  });
}
