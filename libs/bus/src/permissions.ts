import { subjectMatches } from "./subject-match.js";
import { subjects } from "./subjects.js";

/**
 * Who may publish and subscribe to what on the bus (docs/design/trust.md §4.7). The managers' nats-server gets
 * these lists as the permissions of each node's user (the user is the identity URI of the node's agent
 * certificate), and `MemoryBusHub` applies the same lists, so the dispatcher's and the agent's tests run under the
 * rules of the real server. Pure.
 */
export interface NatsPermissions {
  /** Subjects (patterns) the user may publish to; everything else is refused. */
  readonly publish: readonly string[];
  /** Subjects (patterns) the user may subscribe to; everything else is refused. */
  readonly subscribe: readonly string[];
}

/**
 * The permissions of node `nodeId`'s agent: its own subjects only. It publishes its registration, heartbeats,
 * task status and log chunks, and subscribes to its assignments, log requests and cancels and its request
 * inboxes. Nothing under `_INBOX`, no wildcard over nodes.
 */
export function natsPermissions(clusterId: string, nodeId: string): NatsPermissions {
  const s = subjects(clusterId);
  return {
    publish: [s.register(nodeId), s.heartbeat(nodeId), s.status(nodeId), `${s.logs(nodeId)}.out.>`],
    subscribe: [s.assignments(nodeId), s.logs(nodeId), s.logsCancel(nodeId), `${s.inboxPrefix(nodeId)}.>`],
  };
}

/** A current manager's permissions: everything (the dispatcher serves every node). */
export const MANAGER_PERMISSIONS: NatsPermissions = { publish: [">"], subscribe: [">"] };

/** Whether `permissions` let their holder publish (`"publish"`) or subscribe (`"subscribe"`) to `subject`. */
export function permits(permissions: NatsPermissions, op: "publish" | "subscribe", subject: string): boolean {
  return permissions[op].some((allowed) => coveredBy(allowed, subject, op));
}

/**
 * Whether an allowed pattern covers `subject`. A subscription's subject may itself be a pattern: as in
 * nats-server, it is allowed only when every subject it can match is allowed (`agent.*.status` is not covered by
 * `agent.n1.status`).
 */
function coveredBy(allowed: string, subject: string, op: "publish" | "subscribe"): boolean {
  if (op === "publish" || !/(^|\.)[*>](\.|$)/.test(subject)) return subjectMatches(allowed, subject);
  const a = allowed.split(".");
  const s = subject.split(".");
  for (let i = 0; i < s.length; i++) {
    const at = a[i];
    if (at === undefined) return false;
    if (at === ">") return true;
    if (s[i] === ">") return false;
    if (at !== "*" && at !== s[i]) return false;
  }
  return a.length === s.length;
}

/** The permissions as a NATS config `permissions { … }` block (inside a user). */
export function renderPermissions(p: NatsPermissions): string {
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  return `permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } }`;
}
