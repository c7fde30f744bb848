import {
  CLUSTER_SECRETS_ID,
  ClusterSpecSchema,
  isTerminal,
  NetworkSpecSchema,
  ServiceSpecSchema,
  type Cluster,
  type ClusterSecrets,
  type JoinTokens,
  type Network,
  type NetworkSpec,
  type Node,
  type Service,
  type ServiceSpecInput,
  type Task,
  type User,
  type UserRole,
} from "@shoal/api";
import { updateOf, type StoreState } from "@shoal/store";
import { formatDigest, rootDigest } from "@shoal/trust";
import { joinTokensOf } from "../join-token.js";
import { TEST_CA } from "./test-ca.js";
import { X509Certificate } from "node:crypto";
import type { TestCredentials } from "@shoal/trust/testing";
import type { Caller } from "../api/caller.js";
import { memoryClusterStore, type ClusterStore } from "../store/cluster-store.js";

/** Test fixtures of the manager: objects to write into a store on LocalConsensus, and waiting helpers. */

/** A fixed start time for tests that step a clock. */
export const T0 = Date.parse("2026-11-23T10:00:00.000Z");

/** A clock tests move by hand; every reading is 1 ms later, so objects written in a row sort by creation. */
export function testClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t++, advance: (ms) => void (t += ms) };
}

export interface NodeFixture {
  labels?: Record<string, string>;
  availability?: Node["spec"]["availability"];
  state?: Node["status"]["state"];
  role?: Node["spec"]["role"];
  hostname?: string;
  cpus?: number;
  memoryGiB?: number;
}

/** A node object as the dispatcher would create it. */
export function nodeObject(id: string, o: NodeFixture = {}): Omit<Node, "version" | "createdAt" | "updatedAt"> {
  return {
    id,
    spec: { labels: o.labels ?? {}, role: o.role ?? "worker", availability: o.availability ?? "active" },
    description: {
      hostname: o.hostname ?? `host-${id}`,
      platform: { os: "linux", architecture: "x86_64" },
      resources: { cpus: o.cpus ?? 2, memoryBytes: (o.memoryGiB ?? 4) * 2 ** 30 },
      engine: { version: "1", labels: {} },
    },
    status: { state: o.state ?? "ready", message: "", addr: "127.0.0.1" },
  };
}

/** A service spec with defaults: `name` running busybox, plus what the test adds. */
export function serviceSpec(name: string, extra: Partial<ServiceSpecInput> = {}): ServiceSpecInput {
  return { name, taskTemplate: { container: { image: "busybox" } }, ...extra };
}

/** A service object as the API creates it (ports not yet allocated), with id `id`. */
export function serviceObject(
  id: string,
  spec: ServiceSpecInput,
): Omit<Service, "version" | "createdAt" | "updatedAt"> {
  return { id, spec: ServiceSpecSchema.parse(spec), endpoint: { ports: [], virtualIps: [] } };
}

/** An overlay network object as the API creates it (no VXLAN id or subnets until the allocator runs), id `net-<name>`. */
export function networkObject(
  name: string,
  spec: Partial<NetworkSpec> = {},
): Omit<Network, "version" | "createdAt" | "updatedAt"> {
  return { id: `net-${name}`, spec: NetworkSpecSchema.parse({ name, ...spec }), subnets: [] };
}

/** A cluster object like the one `startManager` writes on init. */
export function clusterObject(
  spec: Partial<Cluster["spec"]> = {},
): Omit<Cluster, "version" | "createdAt" | "updatedAt"> {
  return {
    id: "c1",
    spec: ClusterSpecSchema.parse(spec),
    ca: { rootDigests: [TEST_ROOT_DIGEST] },
    managers: [{ raftId: 1, apiAddr: "127.0.0.1:7070", natsUrl: "nats://127.0.0.1:7072", raftAddr: "127.0.0.1:7071" }],
  };
}

/** The root digest of the fixtures' cluster: its CA is {@link TEST_CA}. */
const TEST_ROOT_DIGEST = formatDigest(rootDigest(TEST_CA.cert));

/** The cluster's secrets as `startManager` writes them on init, with fixed join secrets and the test CA. */
export function secretsObject(): Omit<ClusterSecrets, "version" | "createdAt" | "updatedAt"> {
  return {
    id: CLUSTER_SECRETS_ID,
    ca: { roots: [TEST_CA.cert], signer: { cert: TEST_CA.cert, key: TEST_CA.key, chain: [] } },
    join: { worker: "1".repeat(25), manager: "2".repeat(25) },
    routeSecret: "route-secret",
  };
}

/**
 * A user of the API holding certificates of these serials (as Node prints them), and the SHA-256 of an access
 * token when given.
 */
export function userObject(
  id: string,
  o: { name?: string; role?: UserRole; serials?: readonly string[]; accessTokenHash?: string } = {},
): Omit<User, "version" | "createdAt" | "updatedAt"> {
  return {
    id,
    spec: { name: o.name ?? id, role: o.role ?? "admin" },
    certificates: (o.serials ?? []).map((serial) => ({ serial, notAfter: "2099-01-01T00:00:00.000Z" })),
    ...(o.accessTokenHash ? { accessTokenHash: o.accessTokenHash } : {}),
  };
}

/** Adds a user to the store (see {@link userObject}). */
export async function addUser(
  store: ClusterStore,
  id: string,
  o: Parameters<typeof userObject>[1] = {},
): Promise<void> {
  await store.write([{ op: "create", kind: "user", object: userObject(id, o) }]);
}

/** The caller presenting these credentials' certificate directly (see `api/caller.ts`). */
export function certificateCaller(creds: Pick<TestCredentials, "identity" | "cert">): Caller {
  return { kind: "certificate", identity: creds.identity, certificate: new X509Certificate(creds.cert) };
}

/** The join tokens of {@link clusterObject} with {@link secretsObject}. */
export const fixtureTokens = (): JoinTokens => joinTokensOf(clusterObject(), secretsObject());

/**
 * A store on LocalConsensus (or `store`) holding a cluster object and its secrets, nodes and services, with a
 * test clock.
 */
export async function seededStore(
  o: {
    cluster?: Partial<Cluster["spec"]>;
    nodes?: (string | [string, NodeFixture])[];
    services?: [string, ServiceSpecInput][];
    clock?: () => number;
    store?: ClusterStore;
  } = {},
): Promise<ClusterStore> {
  const store = o.store ?? memoryClusterStore(o.clock ?? testClock().now);
  await store.write([
    { op: "create", kind: "cluster", object: clusterObject(o.cluster) },
    { op: "create", kind: "secret", object: secretsObject() },
  ]);
  for (const n of o.nodes ?? []) {
    const [id, f] = typeof n === "string" ? [n, {}] : n;
    await store.write([{ op: "create", kind: "node", object: nodeObject(id, f) }]);
  }
  for (const [id, spec] of o.services ?? []) {
    await store.write([{ op: "create", kind: "service", object: serviceObject(id, spec) }]);
  }
  return store;
}

/** Changes a node's spec or status in the store (drain, activate, mark down). */
export async function changeNode(
  store: ClusterStore,
  id: string,
  change: { spec?: Partial<Node["spec"]>; status?: Partial<Node["status"]> },
): Promise<void> {
  const n = store.state.get("node", id);
  if (!n) throw new Error(`test: no node ${id}`);
  await store.write([
    updateOf("node", n, { spec: { ...n.spec, ...change.spec }, status: { ...n.status, ...change.status } }),
  ]);
}

/** Changes a service's spec in the store (scale, update). */
export async function changeService(
  store: ClusterStore,
  id: string,
  change: (spec: ServiceSpecInput) => ServiceSpecInput,
): Promise<void> {
  const s = store.state.get("service", id);
  if (!s) throw new Error(`test: no service ${id}`);
  const { version, createdAt: _c, updatedAt: _u, ...rest } = s;
  await store.write([
    {
      op: "update",
      kind: "service",
      object: { ...rest, spec: ServiceSpecSchema.parse(change(s.spec)) },
      expectedVersion: version,
    },
  ]);
}

/** Sets the status state of tasks, as an agent's report would. */
export async function setTaskStates(
  store: ClusterStore,
  ids: readonly string[],
  state: Task["status"]["state"],
  at = new Date(T0).toISOString(),
): Promise<void> {
  await store.write(
    ids.map((id) => {
      const t = store.state.get("task", id);
      if (!t) throw new Error(`test: no task ${id}`);
      const { version, createdAt: _c, updatedAt: _u, ...rest } = t;
      return {
        op: "update" as const,
        kind: "task" as const,
        object: { ...rest, status: { ...t.status, state, timestamp: at } },
        expectedVersion: version,
      };
    }),
  );
}

/**
 * Resolves with the predicate's value once it is truthy for the store's state: checked now and after every
 * applied batch. Rejects after `timeoutMs` with `what` and the last state's tasks, so a failure says what
 * never happened.
 */
export function waitForState<T>(
  store: ClusterStore,
  predicate: (s: StoreState) => T | undefined | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const v = predicate(store.state);
      if (v === undefined || v === false) return false;
      clearTimeout(timer);
      unwatch();
      resolve(v);
      return true;
    };
    const timer = setTimeout(() => {
      unwatch();
      const tasks = store.state
        .list("task")
        .map(
          (t) =>
            `${t.id} slot=${t.slot ?? "-"} node=${t.nodeId ?? "-"} ${t.status.state}/${t.desiredState} ${t.status.message}`,
        );
      reject(new Error(`test: timed out after ${timeoutMs} ms waiting for ${what}; tasks:\n  ${tasks.join("\n  ")}`));
    }, timeoutMs);
    const unwatch = store.watch(() => void check());
    check();
  });
}

/** Polls `f` until it returns a truthy value or `timeoutMs` passes (for conditions no event announces). */
export async function pollUntil<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5_000,
  everyMs = 20,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`test: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Live tasks (desired running, not ended) of a service. */
export function liveTasks(state: StoreState, serviceId: string): Task[] {
  return state.tasksOfService(serviceId).filter((t) => t.desiredState === "running" && !isTerminal(t.status.state));
}

let taskSeq = 0;

/** A task of a stored service as the orchestrator makes it (state new, desired running), with overrides. */
export function taskObject(
  store: ClusterStore,
  serviceId: string,
  o: Partial<Task> = {},
): Omit<Task, "version" | "createdAt" | "updatedAt"> {
  const s = store.state.get("service", serviceId);
  if (!s) throw new Error(`test: no service ${serviceId}`);
  return {
    id: `t${++taskSeq}`,
    serviceId,
    spec: s.spec.taskTemplate,
    serviceVersion: s.version,
    desiredState: "running",
    status: { state: "new", timestamp: new Date(T0).toISOString(), message: "" },
    endpoint: { ports: s.endpoint.ports },
    networks: [],
    ...o,
  };
}

/** Writes tasks made by `taskObject`; returns their ids. */
export async function addTasks(store: ClusterStore, serviceId: string, overrides: Partial<Task>[]): Promise<string[]> {
  const objects = overrides.map((o) => taskObject(store, serviceId, o));
  await store.write(objects.map((object) => ({ op: "create" as const, kind: "task" as const, object })));
  return objects.map((t) => t.id);
}
