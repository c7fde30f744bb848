/** A cluster-wide overlay network as the leader allocated it. */
export interface OverlayNetworkSpec {
  /** The network's id (1 to 64 letters, digits, "_", "." or "-"); its first 12 characters name its netns. */
  id: string;
  /** VXLAN network identifier, 1 to 16777215 (the leader hands out 4096 and up). */
  vni: number;
  /** IPv4 subnet, e.g. "10.0.9.0/24". */
  subnet: string;
  /** The gateway address inside the subnet; it is put on the network's bridge on every node. */
  gateway: string;
}

/** A local task's place on an overlay network. */
export interface OverlayAttachmentSpec {
  networkId: string;
  /** The task's network namespace as `ip netns` names it (the bridge network's attach makes it). */
  netns: string;
  /** The task's address on this network, inside the network's subnet. */
  address: string;
}

/** A task of an overlay network on another node. */
export interface RemoteEndpointSpec {
  networkId: string;
  /** Its overlay address. */
  address: string;
  /** Its MAC address on the overlay (macOf(address) for tasks that Shoal attached). */
  mac: string;
  /** The underlay address of the node it runs on (the VXLAN tunnel's far end). */
  nodeAddress: string;
}

/** A service's virtual IP on a network and the overlay addresses of the service's tasks (on any node). */
export interface ServiceVipSpec {
  networkId: string;
  vip: string;
  /** May be empty: then connections to the VIP are refused. */
  backends: string[];
}

/** What a node's overlay should look like: the reconcile input. Lists may come in any order. */
export interface OverlayDesiredState {
  networks: OverlayNetworkSpec[];
  attachments: OverlayAttachmentSpec[];
  remotes: RemoteEndpointSpec[];
  vips: ServiceVipSpec[];
}

/** One batch of work: `ip -batch`, `bridge -batch` or `nft -f`, in the node's netns or in `netns`. */
export interface OverlayStep {
  readonly tool: "ip" | "bridge" | "nft" | "sysctl";
  /** The namespace it runs in (`ip -n` / `ip netns exec`); undefined: the node's own. */
  readonly netns?: string;
  /** The lines of the batch or nft script, or the sysctl "key=value" settings. */
  readonly lines: readonly string[];
}

/** What a reconcile did. */
export interface OverlayPlan {
  /** The batches run, in order; empty when everything already was as desired. */
  readonly steps: readonly OverlayStep[];
  /** Task netns of attachments that were skipped because the netns does not exist (yet or any more). */
  readonly missingTasks: readonly string[];
}

/**
 * The node side of the VXLAN overlay networks. Calls run one at a time; every call reads what exists first,
 * so a new object (an agent after its restart) adopts and corrects what an earlier one made.
 */
export interface VxlanOverlay {
  /** Makes the node's overlay exactly `desired`: creates what is missing, fixes what differs, removes the rest. */
  readonly reconcile: (desired: OverlayDesiredState) => Promise<OverlayPlan>;
  /** Removes one network: its netns with bridge, VXLAN device and the veths of its tasks, and their VIP rules. */
  readonly removeNetwork: (networkId: string) => Promise<void>;
  /** Removes every overlay network of this object's netns prefix and the VIP tables of their tasks. */
  readonly teardown: () => Promise<void>;
}
