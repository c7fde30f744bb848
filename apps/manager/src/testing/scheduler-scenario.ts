import { awaitsScheduling } from "../model/unplaced.js";
import { DEFAULT_NETWORK, INGRESS_NETWORK, isTerminal, type ServiceSpecInput } from "@shoal/api";
import type { Handler, TestData } from "@shoal/common/testing";
import { updateOf, type Command } from "@shoal/store";
import { allocate } from "../allocator/allocate.js";
import { orchestrate } from "../orchestrator/tick.js";
import { schedule } from "../scheduler/tick.js";
import type { ClusterStore } from "../store/cluster-store.js";
import {
  changeService,
  networkObject,
  nodeObject,
  seededStore,
  serviceObject,
  serviceSpec,
  testClock,
  type NodeFixture,
} from "./fixtures.js";
import { describeEvents, describeNodes, explainPending } from "./scheduler-trace.js";

/** The arguments each command accepts; any other is a mistake in the script. */
const ARGS: Record<string, readonly string[]> = {
  node: ["id", "hostname", "cpus", "memory", "labels", "availability", "state", "role"],
  network: ["name"],
  service: [
    "name",
    "replicas",
    "global",
    "constraints",
    "spread",
    "max-per-node",
    "cpus",
    "memory",
    "networks",
    "host-port",
  ],
  orchestrate: ["allocate"],
  allocate: [],
  schedule: [],
  agents: [],
  explain: [],
  state: [],
};

const MiB = 2 ** 20;

/** `key` as one of `allowed`, or absent. */
function oneOf<T extends string>(td: TestData, key: string, allowed: readonly T[]): T | undefined {
  if (!td.has(key)) return undefined;
  const v = td.str(key);
  return (allowed as readonly string[]).includes(v)
    ? (v as T)
    : td.fail(`${key} must be one of ${allowed.join(", ")}, got ${v}`);
}

/** A number (not only an integer: `cpus=1.5`), or absent. */
function num(td: TestData, key: string): number | undefined {
  if (!td.has(key)) return undefined;
  const n = Number(td.str(key));
  return Number.isFinite(n) && n >= 0 ? n : td.fail(`${key} must be a number, got ${td.str(key)}`);
}

/** A node fixture from `node` arguments, over what the node had (`labels=(k=v, ...)` replaces all labels). */
function nodeFixture(td: TestData, had: NodeFixture): NodeFixture {
  const f: NodeFixture = { ...had };
  if (td.has("hostname")) f.hostname = td.str("hostname");
  if (td.has("cpus")) f.cpus = num(td, "cpus") ?? 0;
  if (td.has("memory")) f.memoryGiB = td.int("memory");
  if (td.has("labels"))
    f.labels = Object.fromEntries(
      td.strs("labels").map((kv) => [kv.split("=")[0] ?? "", kv.slice(kv.indexOf("=") + 1)]),
    );
  const availability = oneOf(td, "availability", ["active", "pause", "drain"] as const);
  if (availability) f.availability = availability;
  const state = oneOf(td, "state", ["ready", "down", "disconnected", "unknown"] as const);
  if (state) f.state = state;
  const role = oneOf(td, "role", ["worker", "manager"] as const);
  if (role) f.role = role;
  return f;
}

/** A service spec from `service` arguments (`memory=` in MiB). */
function serviceFromArgs(td: TestData): ServiceSpecInput {
  const name = td.str("name");
  const cpus = num(td, "cpus");
  const memory = num(td, "memory");
  const port = td.has("host-port") ? td.int("host-port") : undefined;
  return serviceSpec(name, {
    mode: td.bool("global") ? { mode: "global" } : { mode: "replicated", replicas: td.int("replicas", 1) },
    taskTemplate: {
      container: { image: "busybox" },
      resources: {
        reservations: {
          ...(cpus !== undefined ? { cpus } : {}),
          ...(memory !== undefined ? { memoryBytes: memory * MiB } : {}),
        },
      },
      placement: {
        constraints: td.strs("constraints", []),
        preferences: td.strs("spread", []).map((spread) => ({ spread })),
        maxReplicasPerNode: td.int("max-per-node", 0),
      },
      networks: td.strs("networks", []).map((target) => ({ target })),
    },
    ...(port !== undefined
      ? { endpoint: { ports: [{ targetPort: port, publishedPort: port, publishMode: "host" as const }] } }
      : {}),
  });
}

/**
 * A manager's store and its pure control loops, driven one pass at a time by a scenario script: the
 * orchestrator makes tasks, the allocator gives them addresses, the scheduler places them, and the agents do
 * what they are told. Nothing runs unless a command says so. See the scheduler's testdata/README.md.
 */
export class SchedulerScenario {
  private readonly nodes = new Map<string, NodeFixture>();
  private ids = 0;

  private constructor(
    private readonly store: ClusterStore,
    /** One clock for the store's stamps and the passes' `now`. */
    private readonly clock: ReturnType<typeof testClock>,
  ) {}

  /** A store holding the cluster object and the `ingress` and `default` networks, as `cluster init` makes them. */
  static async create(): Promise<SchedulerScenario> {
    const clock = testClock();
    const s = new SchedulerScenario(await seededStore({ clock: clock.now }), clock);
    await s.store.write(
      [INGRESS_NETWORK, DEFAULT_NETWORK].map((name) => ({
        op: "create",
        kind: "network",
        object: networkObject(name, { ingress: name === INGRESS_NETWORK }),
      })),
    );
    return s;
  }

  /** Runs one directive of a script and returns its output. */
  async run(td: TestData): Promise<string> {
    const allowed = ARGS[td.cmd] ?? td.fail("unknown command");
    for (const a of td.args)
      if (!allowed.includes(a.key)) td.fail(`unknown argument "${a.key}" (takes ${allowed.join(", ") || "none"})`);
    const state = this.store.state;
    switch (td.cmd) {
      case "node": {
        const id = td.str("id");
        const fixture = nodeFixture(td, this.nodes.get(id) ?? {});
        this.nodes.set(id, fixture);
        const object = nodeObject(id, fixture);
        const stored = state.get("node", id);
        // An update keeps what the allocator added (the node's ingress address).
        const { spec, description, status } = object;
        await this.store.write([
          stored ? updateOf("node", stored, { spec, description, status }) : { op: "create", kind: "node", object },
        ]);
        return "";
      }
      case "network":
        await this.store.write([{ op: "create", kind: "network", object: networkObject(td.str("name")) }]);
        return "";
      case "service": {
        const spec = serviceFromArgs(td);
        if (state.get("service", spec.name)) await changeService(this.store, spec.name, () => spec);
        else await this.store.write([{ op: "create", kind: "service", object: serviceObject(spec.name, spec) }]);
        return "";
      }
      case "orchestrate": {
        const events = await this.store.write(orchestrate(state, this.clock.now(), () => `t${++this.ids}`).commands);
        if (td.bool("allocate", true)) await this.store.write(allocate(this.store.state));
        return describeEvents(this.store.state, events);
      }
      case "allocate":
        return describeEvents(this.store.state, await this.store.write(allocate(state)));
      case "schedule":
        return describeEvents(this.store.state, await this.store.write(schedule(state, this.clock.now())));
      case "agents":
        return this.agents();
      case "explain":
        return explainPending(state);
      case "state":
        return describeNodes(state);
      default:
        return td.fail("unknown command");
    }
  }

  /** The agents of ready nodes run the tasks assigned to them and stop the ones told to stop, as they report it. */
  private async agents(): Promise<string> {
    const state = this.store.state;
    const timestamp = new Date(this.clock.now()).toISOString();
    const ready = new Set(
      state
        .list("node")
        .filter((n) => n.status.state === "ready")
        .map((n) => n.id),
    );
    const commands: Command[] = [];
    for (const t of state.list("task")) {
      // The dispatcher sends an agent only the tasks placed on its node (a global task waits for the scheduler).
      if (t.nodeId === undefined || !ready.has(t.nodeId) || isTerminal(t.status.state) || awaitsScheduling(t)) continue;
      const next = t.desiredState === "running" ? "running" : "shutdown";
      if (t.status.state !== next)
        commands.push(updateOf("task", t, { status: { state: next, timestamp, message: "" } }));
    }
    return describeEvents(this.store.state, await this.store.write(commands));
  }
}

/** A datadriven handler over a fresh {@link SchedulerScenario}: one per scenario file. */
export function schedulerScenarioHandler(): Handler {
  let env: Promise<SchedulerScenario> | undefined;
  return async (td) => (await (env ??= SchedulerScenario.create())).run(td);
}
