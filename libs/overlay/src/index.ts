export * from "./types.js";
export * from "./errors.js";
export { openBridgeNetwork, macOf, type BridgeNetworkOptions } from "./bridge-network.js";
export { NETNS_DIR } from "./attachment.js";
export { MemoryNetwork, type MemoryNetworkOptions } from "./memory-network.js";
export { runCommand, type RunCommand, type CommandOutput } from "./run-command.js";
export { allocateAddress, releaseAddress, EMPTY_POOL, type AddressPool } from "./address-pool.js";
export { checkRules, renderRuleset, renderDeleteTable, type RulesetTarget } from "./nft-ruleset.js";
export { vethName, netnsName, checkTaskId, VETH_PREFIX, MAX_IFNAME } from "./names.js";
export { parseSubnet, parseIpv4, formatIpv4, gatewayOf, inSubnet, type Ipv4Subnet } from "./ipv4.js";
export * from "./overlay-types.js";
export { openVxlanOverlay, type VxlanOverlayOptions } from "./vxlan-overlay.js";
export {
  planOverlay,
  checkDesired,
  networkNetns,
  vxlanName,
  portName,
  OVERLAY_BRIDGE,
  VXLAN_PORT,
  VXLAN_OVERHEAD,
  type OverlayNames,
  type PlanInput,
} from "./overlay-plan.js";
export type { ObservedLink, ObservedNetworkNs, ObservedTaskNs, ObservedNode } from "./overlay-observed.js";
export { renderVipTable, vipTableBody, type VipRule, type VipTable } from "./vip-ruleset.js";
export {
  startDnsServer,
  upstreamsFromResolvConf,
  type DnsServer,
  type DnsServerOptions,
  type DnsAnswer,
  type DnsLookup,
  type DnsReverseLookup,
} from "./dns/index.js";
