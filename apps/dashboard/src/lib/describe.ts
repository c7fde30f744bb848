import type { Network, Node, Service, Task } from "@shoal/api";
import { nodeName, type Objects } from "./model.js";
import { imageOf, replicasText } from "./format.js";

/** One line of the event feed. */
export interface FeedItem {
  /** Unique: the store index and the object. */
  key: string;
  index: number;
  /** Milliseconds since the epoch: when the object changed (or when the page saw a removal). */
  time: number;
  kind: "node" | "service" | "task" | "network";
  objectId: string;
  tone: "info" | "good" | "warn" | "bad";
  text: string;
}

/** One change of an object: `before` is missing for a creation, `after` for a removal. */
export type Change =
  | { kind: "node"; index: number; before?: Node; after?: Node }
  | { kind: "service"; index: number; before?: Service; after?: Service }
  | { kind: "task"; index: number; before?: Task; after?: Task }
  | { kind: "network"; index: number; before?: Network; after?: Network };

/**
 * Says what a change means to an operator, or nothing when it is noise (a task moving through its start-up
 * states, a heartbeat's refresh). `objects` is the state after the change, for names.
 */
export function describeChange(c: Change, objects: Objects, now: number): FeedItem | undefined {
  const said = say(c, objects);
  if (!said) return undefined;
  const id = (c.after ?? c.before)?.id ?? "";
  const time = c.after ? Date.parse(c.after.updatedAt) : now;
  return {
    key: `${c.index}:${c.kind}:${id}`,
    index: c.index,
    time: Number.isNaN(time) ? now : time,
    kind: c.kind,
    objectId: id,
    tone: said[0],
    text: said[1],
  };
}

type Said = [FeedItem["tone"], string] | undefined;

function say(c: Change, o: Objects): Said {
  switch (c.kind) {
    case "service":
      return sayService(c.before, c.after);
    case "task":
      return sayTask(c.before, c.after, o);
    case "node":
      return sayNode(c.before, c.after);
    case "network":
      if (!c.before && c.after) return ["info", `network ${c.after.spec.name} created`];
      if (c.before && !c.after) return ["info", `network ${c.before.spec.name} removed`];
      return undefined;
  }
}

function sayService(before: Service | undefined, after: Service | undefined): Said {
  if (!before && after)
    return ["info", `service ${after.spec.name} created: ${imageOf(after)}, ${replicasText(after)}`];
  if (before && !after) return ["info", `service ${before.spec.name} removed`];
  if (!before || !after) return undefined;
  const name = after.spec.name;
  const was = imageOf(before);
  const is = imageOf(after);
  if (was !== is) return ["info", `service ${name}: image ${was} → ${is}`];
  const [r0, r1] = [before.spec.mode, after.spec.mode];
  if (r0.mode === "replicated" && r1.mode === "replicated" && r0.replicas !== r1.replicas)
    return ["info", `service ${name} scaled ${r0.replicas} → ${r1.replicas}`];
  const u0 = before.updateStatus?.state;
  const u1 = after.updateStatus?.state;
  if (u1 && u0 !== u1) {
    const tone = u1.endsWith("paused") ? "bad" : u1.endsWith("completed") ? "good" : "info";
    const msg = after.updateStatus?.message ? `: ${after.updateStatus.message}` : "";
    return [tone, `service ${name}: update ${u1.replace("_", " ")}${msg}`];
  }
  if (before.version !== after.version && JSON.stringify(before.spec) !== JSON.stringify(after.spec))
    return ["info", `service ${name} updated`];
  return undefined;
}

/** Task states worth a line when a task reaches them. */
const TASK_STATES_SAID = new Set(["pending", "running", "complete", "shutdown", "failed", "rejected", "orphaned"]);

function sayTask(before: Task | undefined, after: Task | undefined, o: Objects): Said {
  if (!after) return undefined;
  const state = after.status.state;
  if (before?.status.state === state || !TASK_STATES_SAID.has(state)) return undefined;
  const service = o.services.get(after.serviceId)?.spec.name ?? after.serviceId.slice(0, 8);
  const name = after.slot !== undefined ? `${service}.${after.slot}` : service;
  const node = nodeName(o, after.nodeId);
  const on = node ? ` on ${node}` : "";
  switch (state) {
    case "running":
      return ["good", `task ${name} running${on}`];
    case "pending":
      return ["warn", `task ${name} pending: ${after.status.message || "waiting for a node"}`];
    case "failed":
    case "rejected": {
      const why = after.status.err ?? after.status.message;
      const code = after.status.exitCode !== undefined ? ` (exit code ${after.status.exitCode})` : "";
      return ["bad", `task ${name} ${state}${on}${code}${why ? `: ${why}` : ""}`];
    }
    case "orphaned":
      return ["bad", `task ${name} orphaned${on}: its node was lost`];
    default:
      return ["info", `task ${name} ${state}${on}${after.status.message ? `: ${after.status.message}` : ""}`];
  }
}

function sayNode(before: Node | undefined, after: Node | undefined): Said {
  if (!before && after) return ["info", `node ${after.description.hostname} joined as ${after.spec.role}`];
  if (before && !after) return ["info", `node ${before.description.hostname} removed`];
  if (!before || !after) return undefined;
  const host = after.description.hostname;
  if (before.status.state !== after.status.state) {
    const tone = after.status.state === "ready" ? "good" : "bad";
    return [tone, `node ${host} ${after.status.state}${after.status.message ? `: ${after.status.message}` : ""}`];
  }
  if (before.spec.availability !== after.spec.availability)
    return [
      after.spec.availability === "active" ? "info" : "warn",
      `node ${host} availability ${after.spec.availability}`,
    ];
  if (before.spec.role !== after.spec.role) return ["info", `node ${host} is now a ${after.spec.role}`];
  if (before.managerStatus?.leader !== after.managerStatus?.leader && after.managerStatus?.leader)
    return ["info", `node ${host} leads the managers`];
  return undefined;
}
