import path from "node:path";
import type { LocalNetwork, TaskAttachment } from "@shoal/overlay";

/**
 * The node network's attachments as the agent made them, so a reconcile pass need not ask the system: the
 * first call of `list()` reads them from the network (adopting what an earlier agent made), after which every
 * attach and detach through the tracker keeps the list current.
 *
 * A task whose attach failed is listed too, with no address: part of its attachment may exist, so it is
 * detached when the task goes away.
 */
export class AttachmentTracker {
  private known: Map<string, string> | undefined;
  private readonly netns = new Map<string, string>();
  private loading: Promise<Map<string, string>> | undefined;

  constructor(private readonly network: LocalNetwork) {}

  /** Task id -> address ("" when its attach failed part-way). */
  async list(): Promise<ReadonlyMap<string, string>> {
    if (this.known) return this.known;
    this.loading ??= this.network.attachments().then(
      (list) => {
        for (const a of list) this.netns.set(a.taskId, path.basename(a.netnsPath));
        return (this.known = new Map(list.map((a) => [a.taskId, a.address])));
      },
      (e: unknown) => {
        this.loading = undefined;
        throw e;
      },
    );
    return this.loading;
  }

  async attach(taskId: string): Promise<TaskAttachment> {
    try {
      const a = await this.network.attach(taskId);
      this.known?.set(taskId, a.address);
      this.netns.set(taskId, path.basename(a.netnsPath));
      return a;
    } catch (e) {
      if (!this.known?.get(taskId)) this.known?.set(taskId, "");
      throw e;
    }
  }

  async detach(taskId: string): Promise<void> {
    await this.network.detach(taskId);
    this.known?.delete(taskId);
    this.netns.delete(taskId);
  }

  /** The task attached at a node-network address (known once list() ran). */
  taskAt(address: string): string | undefined {
    for (const [id, a] of this.known ?? []) if (a === address) return id;
    return undefined;
  }

  /** The name `ip netns` knows an attached task's netns by. */
  netnsOf(taskId: string): string | undefined {
    return this.netns.get(taskId);
  }
}
