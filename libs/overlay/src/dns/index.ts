/** The node's embedded DNS server: cluster names from the agent, everything else from the host's resolvers. */
export { startDnsServer, type DnsServer, type DnsServerOptions } from "./server.js";
export {
  decide,
  reverseAddress,
  type DnsAnswer,
  type DnsLookup,
  type DnsReverseLookup,
  type Decision,
} from "./resolve.js";
export { upstreamsFromResolvConf, parseUpstream, type Upstream } from "./upstreams.js";
