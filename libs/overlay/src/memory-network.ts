import { allocateAddress, EMPTY_POOL, releaseAddress, type AddressPool } from "./address-pool.js";
import { attachmentOf } from "./attachment.js";
import { NetworkNotReadyError } from "./errors.js";
import { gatewayOf, parseSubnet, type Ipv4Subnet } from "./ipv4.js";
import { checkTaskId } from "./names.js";
import { checkRules } from "./nft-ruleset.js";
import type { LocalNetwork, PublishedPortRule, TaskAttachment } from "./types.js";

/** Options of MemoryNetwork; the same defaults as the bridge network. */
export interface MemoryNetworkOptions {
  subnet?: string;
  netnsPrefix?: string;
}

/**
 * The in-memory twin of the bridge network, for the agent's tests: it checks and hands out addresses with the
 * same allocator, validates rules the same way and records them, and touches nothing of the system.
 * Like the real one, attach() before setup() fails with NetworkNotReadyError.
 */
export class MemoryNetwork implements LocalNetwork {
  private readonly subnet: Ipv4Subnet;
  private readonly netnsPrefix: string;
  private pool: AddressPool = EMPTY_POOL;
  private isSetUp = false;
  private published: PublishedPortRule[] = [];

  constructor(o: MemoryNetworkOptions = {}) {
    this.subnet = parseSubnet(o.subnet ?? "10.211.0.0/16");
    this.netnsPrefix = o.netnsPrefix ?? "shoal-";
    this.gateway = gatewayOf(this.subnet);
  }

  readonly gateway: string;

  /** True between setup() and teardown(). */
  get ready(): boolean {
    return this.isSetUp;
  }

  /** A copy of the rules last published. */
  get rules(): PublishedPortRule[] {
    return this.published.map((r) => ({ ...r, backends: [...r.backends] }));
  }

  readonly setup = (): Promise<void> =>
    settle(() => {
      this.isSetUp = true;
    });

  readonly attach = (taskId: string): Promise<TaskAttachment> =>
    settle(() => {
      checkTaskId(taskId);
      if (!this.isSetUp)
        throw new NetworkNotReadyError("the network is not set up; call setup() before attaching tasks");
      const r = allocateAddress(this.pool, this.subnet, taskId);
      this.pool = r.pool;
      return attachmentOf(this.netnsPrefix, this.subnet, taskId, r.address);
    });

  readonly detach = (taskId: string): Promise<void> =>
    settle(() => {
      checkTaskId(taskId);
      this.pool = releaseAddress(this.pool, taskId);
    });

  readonly attachments = (): Promise<TaskAttachment[]> =>
    settle(() =>
      Object.entries(this.pool.byTask)
        .map(([id, address]) => attachmentOf(this.netnsPrefix, this.subnet, id, address))
        .sort((a, b) => a.taskId.localeCompare(b.taskId)),
    );

  readonly publish = (rules: readonly PublishedPortRule[]): Promise<void> =>
    settle(() => {
      checkRules(rules);
      this.published = rules.map((r) => ({ ...r, backends: [...r.backends] }));
    });

  readonly teardown = (): Promise<void> =>
    settle(() => {
      this.pool = EMPTY_POOL;
      this.published = [];
      this.isSetUp = false;
    });
}

/** Runs `fn` now and returns its result, or what it threw, as a promise, as an asynchronous call would. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}
