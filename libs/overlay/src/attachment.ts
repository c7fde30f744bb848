import { join } from "node:path";
import { gatewayOf, type Ipv4Subnet } from "./ipv4.js";
import { netnsName } from "./names.js";
import type { TaskAttachment } from "./types.js";

/** Where `ip netns` keeps its namespaces. */
export const NETNS_DIR = "/run/netns";

/** The attachment of `taskId` holding `address` on `subnet`. */
export function attachmentOf(netnsPrefix: string, subnet: Ipv4Subnet, taskId: string, address: string): TaskAttachment {
  return {
    taskId,
    netnsPath: join(NETNS_DIR, netnsName(netnsPrefix, taskId)),
    address,
    gateway: gatewayOf(subnet),
    prefixLength: subnet.prefixLength,
  };
}
