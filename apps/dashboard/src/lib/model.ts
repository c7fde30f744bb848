import {
  isTerminal,
  serviceTaskCounts,
  type ApiStoreEvent,
  type Network,
  type Node,
  type Service,
  type ServiceTaskCounts,
  type Task,
} from "@shoal/api";
import { describeChange, type Change, type FeedItem } from "./describe.js";

/** The objects the dashboard shows, by id. */
export interface Objects {
  readonly nodes: ReadonlyMap<string, Node>;
  readonly services: ReadonlyMap<string, Service>;
  readonly tasks: ReadonlyMap<string, Task>;
  readonly networks: ReadonlyMap<string, Network>;
}

/** What the page knows of the cluster: the objects, kept current from the event stream, and a feed of changes. */
export interface Model extends Objects {
  /** The highest store index seen (a snapshot's or an event's). */
  readonly index: number;
  /** Recent changes, newest first, at most {@link FEED_LIMIT}. */
  readonly feed: readonly FeedItem[];
}

export const FEED_LIMIT = 200;

export const EMPTY_MODEL: Model = {
  nodes: new Map(),
  services: new Map(),
  tasks: new Map(),
  networks: new Map(),
  index: 0,
  feed: [],
};

/** A full read of the lists, at a store index at least `index`. */
export interface Snapshot {
  index: number;
  nodes: readonly Node[];
  services: readonly Service[];
  tasks: readonly Task[];
  networks: readonly Network[];
}

const byId = <T extends { id: string }>(xs: readonly T[]): Map<string, T> => new Map(xs.map((x) => [x.id, x]));

/** The model of a snapshot; the feed of the model it replaces is kept (it is history, not state). */
export function fromSnapshot(s: Snapshot, previous: Model = EMPTY_MODEL): Model {
  return {
    nodes: byId(s.nodes),
    services: byId(s.services),
    tasks: byId(s.tasks),
    networks: byId(s.networks),
    index: Math.max(s.index, previous.index),
    feed: previous.feed,
  };
}

type Kind = "node" | "service" | "task" | "network";
interface Versioned {
  id: string;
  version: number;
}
const KEY: Record<Kind, keyof Objects> = { node: "nodes", service: "services", task: "tasks", network: "networks" };

/**
 * Applies store events in log order. An event older than the object the model holds is skipped (a list read
 * after the stream started may already include it), so events replayed from `since` and a snapshot taken
 * after them mix safely. Each applied change may add an item to the feed.
 */
export function applyEvents(m: Model, events: readonly ApiStoreEvent[], now: number): Model {
  if (events.length === 0) return m;
  const next = {
    nodes: new Map(m.nodes),
    services: new Map(m.services),
    tasks: new Map(m.tasks),
    networks: new Map(m.networks),
  };
  const added: FeedItem[] = [];
  let index = m.index;
  for (const e of events) {
    index = Math.max(index, e.index);
    if (e.kind === "cluster") continue;
    const map: Map<string, Versioned> = next[KEY[e.kind]];
    const before = map.get(e.id);
    if (before && before.version > e.index) continue;
    const after = e.op === "delete" ? undefined : (e.object as Versioned);
    if (after) map.set(e.id, after);
    else map.delete(e.id);
    const item = describeChange({ kind: e.kind, index: e.index, before, after } as Change, next, now);
    if (item) added.push(item);
  }
  const feed = added.length === 0 ? m.feed : [...added.reverse(), ...m.feed].slice(0, FEED_LIMIT);
  return { ...next, index, feed };
}

/** A service with what the list pages show of it. */
export interface ServiceRow {
  service: Service;
  counts: ServiceTaskCounts;
  /** 0..1: running of desired (1 when nothing is desired). */
  converged: number;
  /** Tasks that should run but wait for a node, with the scheduler's reasons. */
  pending: Task[];
}

/** Every task of a service, newest first. */
export function tasksOfService(m: Objects, serviceId: string): Task[] {
  return [...m.tasks.values()].filter((t) => t.serviceId === serviceId).sort(newestFirst);
}

/** Tasks placed on a node that should still run there, newest first. */
export function tasksOnNode(m: Objects, nodeId: string): Task[] {
  return [...m.tasks.values()].filter((t) => t.nodeId === nodeId && !isTerminal(t.status.state)).sort(newestFirst);
}

const newestFirst = (a: Task, b: Task): number =>
  (a.slot ?? 0) - (b.slot ?? 0) || b.createdAt.localeCompare(a.createdAt);

export function serviceRow(m: Objects, s: Service): ServiceRow {
  const tasks = tasksOfService(m, s.id);
  const counts = serviceTaskCounts(s, tasks);
  const converged = counts.desiredTasks === 0 ? 1 : Math.min(1, counts.runningTasks / counts.desiredTasks);
  const pending = tasks.filter((t) => t.desiredState === "running" && t.status.state === "pending");
  return { service: s, counts, converged, pending };
}

/** Services by name with their counts. */
export function serviceRows(m: Objects): ServiceRow[] {
  return [...m.services.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name)).map((s) => serviceRow(m, s));
}

/** Nodes: managers first, then by hostname. */
export function sortedNodes(m: Objects): Node[] {
  return [...m.nodes.values()].sort((a, b) =>
    a.spec.role === b.spec.role
      ? a.description.hostname.localeCompare(b.description.hostname)
      : a.spec.role === "manager"
        ? -1
        : 1,
  );
}

/** The overview's counts. */
export interface Totals {
  nodes: number;
  nodesReady: number;
  managers: number;
  services: number;
  /** Tasks that should run, and those of them running. */
  tasksDesired: number;
  tasksRunning: number;
  tasksPending: number;
  tasksFailed: number;
}

export function totals(m: Objects): Totals {
  const nodes = [...m.nodes.values()];
  const live = [...m.tasks.values()].filter((t) => t.desiredState === "running");
  return {
    nodes: nodes.length,
    nodesReady: nodes.filter((n) => n.status.state === "ready").length,
    managers: nodes.filter((n) => n.spec.role === "manager").length,
    services: m.services.size,
    tasksDesired: live.length,
    tasksRunning: live.filter((t) => t.status.state === "running").length,
    tasksPending: live.filter((t) => t.status.state === "pending").length,
    tasksFailed: [...m.tasks.values()].filter((t) => t.status.state === "failed" || t.status.state === "rejected")
      .length,
  };
}

/** The name a task goes by: `service.slot` or `service.node` (global). */
export function taskName(m: Objects, t: Task): string {
  const service = m.services.get(t.serviceId)?.spec.name ?? t.serviceId.slice(0, 8);
  if (t.slot !== undefined) return `${service}.${t.slot}`;
  const node = t.nodeId ? (m.nodes.get(t.nodeId)?.description.hostname ?? t.nodeId.slice(0, 8)) : "unplaced";
  return `${service}.${node}`;
}

/** A node's hostname, or its short id when it is not known (removed). */
export function nodeName(m: Objects, id: string | undefined): string {
  if (!id) return "";
  return m.nodes.get(id)?.description.hostname ?? id.slice(0, 8);
}
