/** A task's place on the node's bridge network. */
export interface TaskAttachment {
  taskId: string;
  /** `ip netns` bind mount path the container joins, e.g. /run/netns/<prefix><taskId>. */
  netnsPath: string;
  /** IPv4 address of the container on the bridge, e.g. 10.211.0.5 */
  address: string;
  gateway: string;
  prefixLength: number;
}

/** A published port (`-p 8080:80`) and the container addresses it balances over. */
export interface PublishedPortRule {
  protocol: "tcp" | "udp";
  publishedPort: number;
  targetPort: number;
  /** Container addresses to balance over (may be empty: then the port is closed / refused). */
  backends: string[];
}

/**
 * The node's local network: one bridge, the tasks' network namespaces on it, and the published ports.
 * Every call is idempotent, so a caller that retries or restarts converges on the same state.
 */
export interface LocalNetwork {
  /** The bridge's own address: the tasks' default gateway, where the node serves them (its DNS server). */
  readonly gateway: string;
  /** Idempotent: bridge up with the gateway address, nft table, forwarding + route_localnet sysctls, masquerade. */
  readonly setup: () => Promise<void>;
  /** Idempotent: netns + veth pair (host side on the bridge, `eth0` inside with the address, lo up, default route). Returns the existing attachment if there is one. */
  readonly attach: (taskId: string) => Promise<TaskAttachment>;
  /** Idempotent: removes the netns, veth and frees the address. Unknown task ids are fine. */
  readonly detach: (taskId: string) => Promise<void>;
  /** Attachments that exist now (the agent calls this after its restart to adopt them); read from the system + the state file. */
  readonly attachments: () => Promise<TaskAttachment[]>;
  /** Replaces every published-port rule with exactly these, atomically (one `nft -f` transaction). */
  readonly publish: (rules: readonly PublishedPortRule[]) => Promise<void>;
  /** Removes everything this network created: all task netns/veths, the bridge, the nft table, the state file. */
  readonly teardown: () => Promise<void>;
}
