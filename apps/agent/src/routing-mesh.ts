import path from "node:path";
import type { NetworkView } from "@shoal/bus";
import type { AttachmentTracker } from "./attachment-tracker.js";
import type { AgentLog } from "./log.js";
import { configureMeshSandbox, removeMeshRoute } from "./mesh-sandbox.js";
import { MESH_SANDBOX } from "./network-desired.js";

/** What the routing-mesh endpoint is made with. */
export interface RoutingMeshOptions {
  /** The node network's attachments; the endpoint is the attachment {@link MESH_SANDBOX}. */
  attachments: AttachmentTracker;
  /** Reconciles the node's overlay (which puts the endpoint on ingress, or takes it off). */
  sync: () => Promise<unknown>;
  log: AgentLog;
}

/**
 * The node's routing-mesh endpoint: a netns on the node network that is on the ingress network while a port is
 * published through the mesh, and through which the node routes the ingress subnet.
 */
export class RoutingMesh {
  private endpoint: { netns: string; subnet: string } | undefined;

  constructor(private readonly o: RoutingMeshOptions) {}

  /** The endpoint's netns as `ip netns` knows it, while it exists. */
  get netns(): string | undefined {
    return this.endpoint?.netns;
  }

  /** Makes (or removes) the endpoint as the view says: on ingress while a port is published through the mesh. */
  async follow(view: NetworkView): Promise<void> {
    const ingress = view.networks.find((n) => n.ingress);
    const wanted = ingress !== undefined && view.nodeAttachments.some((a) => a.networkId === ingress.id);
    if (wanted && this.endpoint === undefined) {
      const a = await this.o.attachments.attach(MESH_SANDBOX);
      const netns = path.basename(a.netnsPath);
      await configureMeshSandbox(netns, ingress.subnet, a.address);
      this.endpoint = { netns, subnet: ingress.subnet };
      await this.o.sync();
      this.o.log.info("routing mesh endpoint ready", { netns, ingress: ingress.subnet });
    } else if (!wanted && this.endpoint !== undefined) {
      await removeMeshRoute(this.endpoint.subnet);
      this.endpoint = undefined;
      await this.o.sync();
      await this.o.attachments.detach(MESH_SANDBOX);
    }
  }

  /** Removes the node's route through the endpoint (leaving the cluster; the attachment goes with the node network's). */
  async removeRoute(): Promise<void> {
    if (this.endpoint) await removeMeshRoute(this.endpoint.subnet);
  }
}
