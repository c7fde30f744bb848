/**
 * The node's local network as the agent uses it. Same shapes as `@shoal/overlay`'s LocalNetwork, so the real
 * bridge network (when that package provides `openBridgeNetwork`) and the in-memory twin here are
 * interchangeable.
 */

/** A task's place on the node's network: its namespace and address. */
export interface TaskAttachment {
  taskId: string;
  /** The task's network namespace (bind mount), for the container's `{ mode: "path" }` network. */
  netnsPath: string;
  address: string;
  gateway: string;
  prefixLength: number;
}

/** A port published on this node, balanced over the addresses of local tasks. */
export interface PublishedPortRule {
  protocol: "tcp" | "udp";
  publishedPort: number;
  targetPort: number;
  /** Task addresses, sorted. */
  backends: string[];
}

/** The node's bridge, task namespaces and published ports. Every call is idempotent. */
export interface LocalNetwork {
  readonly setup: () => Promise<void>;
  readonly attach: (taskId: string) => Promise<TaskAttachment>;
  readonly detach: (taskId: string) => Promise<void>;
  readonly attachments: () => Promise<TaskAttachment[]>;
  /** Replaces all published-port rules. */
  readonly publish: (rules: readonly PublishedPortRule[]) => Promise<void>;
  readonly teardown: () => Promise<void>;
}

/**
 * The in-memory twin of the node network: addresses from 10.99.0.0/24 in order, a namespace path per task, and
 * the last published rules (`rules`) and how many times they were published (`publishCount`) for tests.
 */
export class MemoryNetwork implements LocalNetwork {
  private readonly byTask = new Map<string, TaskAttachment>();
  private nextHost = 2;
  isSetUp = false;
  rules: PublishedPortRule[] = [];
  publishCount = 0;

  readonly setup = async (): Promise<void> => {
    await Promise.resolve();
    this.isSetUp = true;
  };

  readonly attach = async (taskId: string): Promise<TaskAttachment> => {
    await Promise.resolve();
    const existing = this.byTask.get(taskId);
    if (existing) return { ...existing };
    if (this.nextHost > 254) throw new Error("network: the memory network's /24 is full");
    const a: TaskAttachment = { taskId, netnsPath: `/run/netns/shoal-${taskId}`, address: `10.99.0.${this.nextHost++}`, gateway: "10.99.0.1", prefixLength: 24 };
    this.byTask.set(taskId, a);
    return { ...a };
  };

  readonly detach = async (taskId: string): Promise<void> => {
    await Promise.resolve();
    this.byTask.delete(taskId);
  };

  readonly attachments = async (): Promise<TaskAttachment[]> => {
    await Promise.resolve();
    return [...this.byTask.values()].map((a) => ({ ...a }));
  };

  readonly publish = async (rules: readonly PublishedPortRule[]): Promise<void> => {
    await Promise.resolve();
    this.rules = rules.map((r) => ({ ...r, backends: [...r.backends] }));
    this.publishCount++;
  };

  readonly teardown = async (): Promise<void> => {
    await Promise.resolve();
    this.byTask.clear();
    this.rules = [];
    this.isSetUp = false;
  };
}

/** Options of the real bridge network (`@shoal/overlay`'s `openBridgeNetwork`). */
export interface BridgeNetworkOptions {
  bridge?: string;
  subnet?: string;
  table?: string;
  netnsPrefix?: string;
  stateDir: string;
}

/**
 * Opens the real bridge network from `@shoal/overlay`. Loaded at run time so that the agent builds (and runs
 * with networking "none") before that package provides it; throws a clear error when it does not.
 */
export async function openDefaultNetwork(o: BridgeNetworkOptions): Promise<LocalNetwork> {
  const overlay = (await import("@shoal/overlay")) as { openBridgeNetwork?: (o: BridgeNetworkOptions) => LocalNetwork };
  if (typeof overlay.openBridgeNetwork !== "function") {
    throw new Error("agent: this build has no bridge network (@shoal/overlay lacks openBridgeNetwork): start the agent with networking \"none\"");
  }
  return overlay.openBridgeNetwork(o);
}
