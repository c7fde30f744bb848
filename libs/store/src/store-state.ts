import {
  CLUSTER_SECRETS_ID,
  type Cluster,
  type ClusterSecrets,
  type Network,
  type Node,
  type Service,
  type Task,
  type User,
} from "@shoal/api";
import { AlreadyExistsError, NotFoundError, VersionConflictError } from "./errors.js";

/** The kinds of object the store holds, and their types. */
export interface ObjectTypes {
  service: Service;
  task: Task;
  node: Node;
  network: Network;
  cluster: Cluster;
  /** Internal: the cluster's secrets (see {@link PUBLIC_KINDS}). */
  secret: ClusterSecrets;
  /** Internal: the API's users (they leave the managers only through the admin routes). */
  user: User;
}
export type Kind = keyof ObjectTypes;
export const KINDS: readonly Kind[] = ["cluster", "node", "network", "service", "task", "secret", "user"];
/** A kind whose objects the API may show (in answers and events); the others never leave the managers. */
export type PublicKind = Exclude<Kind, "secret" | "user">;
/** The kinds the API may show; the event stream takes only these, so nothing internal is ever in it. */
export const PUBLIC_KINDS: readonly PublicKind[] = ["cluster", "node", "network", "service", "task"];

/** Whether objects of `kind` may leave the managers (API answers, events). */
export function isPublicKind(kind: Kind): kind is PublicKind {
  return (PUBLIC_KINDS as readonly Kind[]).includes(kind);
}

/** The fields the store sets itself on every write. */
type Managed = "version" | "createdAt" | "updatedAt";

/** One change in a batch. `expectedVersion` makes an update or delete conditional (optimistic concurrency). */
export type Command =
  | { [K in Kind]: { op: "create"; kind: K; object: Omit<ObjectTypes[K], Managed> } }[Kind]
  | { [K in Kind]: { op: "update"; kind: K; object: Omit<ObjectTypes[K], Managed>; expectedVersion?: number } }[Kind]
  | { op: "delete"; kind: Kind; id: string; expectedVersion?: number };

/** What one applied command did, for watchers. */
export type StoreEvent = {
  [K in Kind]: {
    op: "create" | "update" | "delete";
    kind: K;
    object: ObjectTypes[K];
    previous?: ObjectTypes[K];
    index: number;
  };
}[Kind];

/** A serialized store: every object, and the index of the last applied batch. */
export interface StoreSnapshot {
  index: number;
  objects: { [K in Kind]: ObjectTypes[K][] };
}

/**
 * The managers' replicated state machine: versioned objects by kind, with indexes. Pure and deterministic:
 * `apply(index, time, commands)` is called with the Raft index and the leader-stamped time of a committed
 * entry, on every manager, and gives the same result everywhere. A batch is all or nothing: the first
 * failing command (unknown id, version conflict, duplicate name) throws and nothing of the batch is kept.
 * Every object written gets `version = index`.
 */
export class StoreState {
  private index = 0;
  private readonly objects: { [K in Kind]: Map<string, ObjectTypes[K]> } = {
    cluster: new Map(),
    node: new Map(),
    network: new Map(),
    service: new Map(),
    task: new Map(),
    secret: new Map(),
    user: new Map(),
  };
  private readonly tasksByService = new Map<string, Set<string>>();
  private readonly tasksByNode = new Map<string, Set<string>>();

  /** The index of the last applied batch. */
  get appliedIndex(): number {
    return this.index;
  }

  /** Applies a committed batch; returns the events in command order. */
  apply(index: number, time: string, commands: readonly Command[]): StoreEvent[] {
    if (index <= this.index)
      throw new Error(`store: batch index ${index} is not after the applied index ${this.index}`);
    // Validate and compute on a staged view first, so a failing command leaves the state untouched.
    const staged = new Map<string, { kind: Kind; id: string; next: ObjectTypes[Kind] | undefined }>();
    const current = (kind: Kind, id: string): ObjectTypes[Kind] | undefined => {
      const s = staged.get(`${kind}/${id}`);
      return s ? s.next : this.objects[kind].get(id);
    };
    const events: StoreEvent[] = [];
    for (const c of commands) {
      const id = c.op === "delete" ? c.id : c.object.id;
      const prev = current(c.kind, id);
      let next: ObjectTypes[Kind] | undefined;
      if (c.op === "create") {
        if (prev) throw new AlreadyExistsError(c.kind, id);
        this.checkUniqueName(c.kind, c.object, staged);
        next = { ...c.object, version: index, createdAt: time, updatedAt: time };
      } else {
        if (!prev) throw new NotFoundError(c.kind, id);
        if (c.expectedVersion !== undefined && c.expectedVersion !== prev.version) {
          throw new VersionConflictError(c.kind, id, c.expectedVersion, prev.version);
        }
        if (c.op === "update") {
          this.checkUniqueName(c.kind, c.object, staged);
          next = { ...c.object, version: index, createdAt: prev.createdAt, updatedAt: time };
        }
      }
      staged.set(`${c.kind}/${id}`, { kind: c.kind, id, next });
      const object = next ?? prev;
      if (!object) continue;
      events.push({ op: c.op, kind: c.kind, object, ...(prev && next ? { previous: prev } : {}), index } as StoreEvent);
    }
    for (const { kind, id, next } of staged.values()) this.put(kind, id, next);
    this.index = index;
    return events;
  }

  get<K extends Kind>(kind: K, id: string): ObjectTypes[K] | undefined {
    return this.objects[kind].get(id);
  }

  list<K extends Kind>(kind: K): ObjectTypes[K][] {
    return [...this.objects[kind].values()];
  }

  /** The cluster object (there is one once the first manager has started). */
  cluster(): Cluster | undefined {
    return this.objects.cluster.values().next().value;
  }

  /** The cluster's secrets (internal: never in an API answer or event as they are). */
  secrets(): ClusterSecrets | undefined {
    return this.objects.secret.get(CLUSTER_SECRETS_ID);
  }

  /** Tasks of a service, through the index. */
  tasksOfService(serviceId: string): Task[] {
    return [...(this.tasksByService.get(serviceId) ?? [])]
      .map((id) => this.objects.task.get(id))
      .filter((t): t is Task => !!t);
  }

  /** Tasks assigned to a node, through the index. */
  tasksOfNode(nodeId: string): Task[] {
    return [...(this.tasksByNode.get(nodeId) ?? [])]
      .map((id) => this.objects.task.get(id))
      .filter((t): t is Task => !!t);
  }

  /** Finds a service, network or user by name. */
  byName<K extends "service" | "network" | "user">(kind: K, name: string): ObjectTypes[K] | undefined {
    for (const o of this.objects[kind].values()) if (o.spec.name === name) return o;
    return undefined;
  }

  snapshot(): StoreSnapshot {
    return {
      index: this.index,
      objects: {
        cluster: this.list("cluster"),
        node: this.list("node"),
        network: this.list("network"),
        service: this.list("service"),
        task: this.list("task"),
        secret: this.list("secret"),
        user: this.list("user"),
      },
    };
  }

  /** Replaces the whole state with a snapshot's (a follower catching up from a snapshot). */
  restore(s: StoreSnapshot): void {
    for (const k of KINDS) this.objects[k].clear();
    this.tasksByService.clear();
    this.tasksByNode.clear();
    for (const k of KINDS) for (const o of s.objects[k] ?? []) this.put(k, o.id, o);
    this.index = s.index;
  }

  private put(kind: Kind, id: string, next: ObjectTypes[Kind] | undefined): void {
    if (kind === "task") {
      const prev = this.objects.task.get(id);
      if (prev) {
        this.tasksByService.get(prev.serviceId)?.delete(id);
        if (prev.nodeId) this.tasksByNode.get(prev.nodeId)?.delete(id);
      }
      if (next) {
        const t = next as Task;
        addTo(this.tasksByService, t.serviceId, id);
        if (t.nodeId) addTo(this.tasksByNode, t.nodeId, id);
      }
    }
    const map = this.objects[kind] as Map<string, ObjectTypes[Kind]>;
    if (next) map.set(id, next);
    else map.delete(id);
  }

  /** Service, network and user names are unique (Swarm refuses a second `web`). */
  private checkUniqueName(
    kind: Kind,
    object: { id: string },
    staged: Map<string, { next: ObjectTypes[Kind] | undefined }>,
  ): void {
    if (kind !== "service" && kind !== "network" && kind !== "user") return;
    const name = (object as unknown as { spec: { name: string } }).spec.name;
    const taken = (o: ObjectTypes[Kind] | undefined) =>
      !!o && o.id !== object.id && (o as { spec: { name: string } }).spec.name === name;
    for (const [key, s] of staged)
      if (key.startsWith(`${kind}/`) && taken(s.next)) throw new AlreadyExistsError(kind, name);
    for (const o of this.objects[kind].values()) {
      if (staged.has(`${kind}/${o.id}`)) continue;
      if (taken(o)) throw new AlreadyExistsError(kind, name);
    }
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}
