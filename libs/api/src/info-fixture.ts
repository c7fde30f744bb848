import type { Identity } from "@shoal/trust";
import type { Info } from "./routes.js";

/** The `/v1/info` answer a test server presenting `identity`'s certificate gives (tests of the TLS clients). */
export function infoOf(identity: Identity): Info {
  return {
    version: "1",
    clusterId: identity.clusterId,
    nodeId: identity.kind === "user" ? identity.userId : identity.nodeId,
    managerAddr: "m",
    raft: { leader: true, term: 1, commitIndex: 1, appliedIndex: 1 },
    counts: { nodes: 0, services: 0, tasks: 0 },
  };
}
