import { isTerminal, type Task } from "@shoal/api";
import { EMPTY_NETWORK_VIEW, type NetworkView } from "@shoal/bus";
import type { DnsServer, LocalNetwork, OverlayDesiredState, PublishedPortRule, VxlanOverlay } from "@shoal/overlay";
import { AttachmentTracker } from "./attachment-tracker.js";
import type { Clock } from "@shoal/common";
import type { AgentLog } from "./log.js";
import { MESH_SANDBOX, overlayDesired, withMesh, type LocalTask } from "./network-desired.js";
import { startNodeDns } from "./node-dns.js";
import { joinOverlay } from "./overlay-join.js";
import { OverlaySync } from "./overlay-sync.js";
import { publishedPortRules, sameRules } from "./published-ports.js";
import type { LocalContainer } from "./reconcile.js";
import { RoutingMesh } from "./routing-mesh.js";

/** What the node's networking is made of and reads. */
export interface NodeNetworkingOptions {
  network: LocalNetwork;
  /** The node's side of the overlay networks (absent: tasks get the node network only, and no DNS or mesh). */
  overlay: VxlanOverlay | undefined;
  /** The tasks assigned to the node now. */
  tasks: () => ReadonlyMap<string, Task>;
  /** The node's id ("" before the managers gave one). */
  nodeId: () => string;
  /** Whether the agent is stopping (an overlay join still waiting gives up). */
  stopping: () => boolean;
  clock: Clock;
  /** The port of the DNS server on the node network's gateway; default 53, 0 for none. */
  dnsPort?: number | undefined;
  log: AgentLog;
}

/**
 * The node's side of the task networks: attachments to the node network, the overlay as the managers' view
 * and the attached tasks make it, the DNS server on the gateway, the routing-mesh endpoint and the published
 * ports. Without an overlay only attachments and published ports remain.
 */
export class NodeNetworking {
  /** The node network's attachments as the agent made them. */
  readonly attachments: AttachmentTracker;
  /** Puts an attached task on its overlay networks before its container starts (see {@link joinOverlay}); absent without overlays. */
  readonly joinOverlay: ((task: Task) => Promise<void>) | undefined;
  private readonly overlaySync: OverlaySync | undefined;
  private readonly mesh: RoutingMesh | undefined;
  private view: NetworkView = EMPTY_NETWORK_VIEW;
  private viewWaiters: (() => void)[] = [];
  private dns: DnsServer | undefined;
  private lastRules: PublishedPortRule[] | undefined;

  constructor(private readonly o: NodeNetworkingOptions) {
    this.attachments = new AttachmentTracker(o.network);
    if (o.overlay) {
      const sync = new OverlaySync({
        overlay: o.overlay,
        desired: () => this.overlayDesired(),
        log: o.log,
        clock: () => o.clock.now(),
      });
      this.overlaySync = sync;
      this.mesh = new RoutingMesh({ attachments: this.attachments, sync: () => sync.sync(), log: o.log });
      this.joinOverlay = (task) =>
        joinOverlay(task, {
          clock: o.clock,
          view: () => this.view,
          onViewChange: (wake) => this.viewWaiters.push(wake),
          stopping: o.stopping,
          sync: () => sync.sync(),
          netnsOf: (id) => this.attachments.netnsOf(id),
        });
    }
  }

  /** Starts the DNS server, when the node has overlays and a DNS port. */
  async start(): Promise<void> {
    if (!this.overlaySync || this.o.dnsPort === 0) return;
    this.dns = await startNodeDns({
      address: this.o.network.gateway,
      port: this.o.dnsPort,
      attachments: this.attachments,
      view: () => this.view,
      task: (id) => this.o.tasks().get(id),
      log: this.o.log,
    });
  }

  /** Takes the managers' network view: wakes the joins waiting for it and reconciles the overlay soon. */
  setView(view: NetworkView): void {
    if (view === this.view) return;
    this.view = view;
    for (const wake of this.viewWaiters.splice(0)) wake();
    this.overlaySync?.kick();
  }

  /** The nameservers of task containers: the node's DNS server, while it runs. */
  dnsServers(): string[] | undefined {
    return this.dns ? [this.dns.address] : undefined;
  }

  /** Task id -> node-network address of the tasks attached ("" when an attach failed part-way); no mesh endpoint. */
  async taskAttachments(): Promise<Map<string, string>> {
    return new Map([...(await this.attachments.list())].filter(([id]) => id !== MESH_SANDBOX));
  }

  /**
   * Publishes the ports of the running tasks (`containers` and `attachments` as a reconcile pass read them),
   * through the routing mesh when the view puts the node on ingress; the node network is told only of changes.
   */
  async publishPorts(
    containers: ReadonlyMap<string, LocalContainer>,
    attachments: ReadonlyMap<string, string>,
  ): Promise<void> {
    const running = [...this.o.tasks().values()].flatMap((task) => {
      const addr = attachments.get(task.id);
      return containers.get(task.id)?.status === "running" && !isTerminal(task.desiredState) && addr
        ? [{ task, address: addr }]
        : [];
    });
    await this.mesh?.follow(this.view);
    const local = publishedPortRules(running);
    const rules = this.mesh?.netns !== undefined ? withMesh(local, this.view, this.o.nodeId()) : local;
    if (!this.lastRules || !sameRules(rules, this.lastRules)) {
      await this.o.network.publish(rules);
      this.lastRules = rules;
    }
  }

  /** Stops the DNS server and the overlay's retries; attachments, overlay and mesh stay as they are. */
  async close(): Promise<void> {
    await this.dns?.close();
    this.overlaySync?.close();
  }

  /** Leaving the cluster: removes the overlay, the mesh route, every attachment and the node network. */
  async leave(): Promise<void> {
    await this.o.overlay?.teardown();
    await this.mesh?.removeRoute();
    for (const a of await this.o.network.attachments()) await this.o.network.detach(a.taskId);
    await this.o.network.teardown();
  }

  /** The overlay as the view and the attached tasks make it. */
  private overlayDesired(): OverlayDesiredState {
    const local: LocalTask[] = [];
    for (const task of this.o.tasks().values()) {
      const netns = this.attachments.netnsOf(task.id);
      if (netns !== undefined && !isTerminal(task.desiredState)) local.push({ task, netns });
    }
    return overlayDesired(this.view, this.o.nodeId(), local, this.mesh?.netns);
  }
}
