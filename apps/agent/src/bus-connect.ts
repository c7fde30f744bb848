import type { JoinInfo } from "@shoal/api";
import { connectNatsBus, subjects, type BusConnection } from "@shoal/bus";
import { anyManagerOf, certificatePaths, identityCheck } from "@shoal/trust";
import type { AgentLog } from "./log.js";

/**
 * Connects the agent to the managers' bus with its node's agent certificate (`<dataDir>/certificates`), accepting
 * only a server that presents a manager certificate of its cluster, and with its requests' inboxes under its
 * node's prefix (the only inboxes the server lets it subscribe to). Retries with backoff (250 ms .. 5 s) while
 * no manager can be reached or accepts it: after a reboot the node's containers come back with the agent even
 * when the managers are still down, and a node that just joined may reach a manager that has not yet reloaded
 * its bus users. A server with the wrong identity is logged and retried, never a crash (trust.md §3.3).
 * `signal` ends the retries (tests).
 */
export async function connectAgentBus(
  dataDir: string,
  join: Pick<JoinInfo, "clusterId" | "nodeId" | "natsUrls">,
  name: string,
  log: AgentLog,
  signal?: AbortSignal,
): Promise<BusConnection> {
  const certs = certificatePaths(dataDir);
  const tls = {
    certFile: certs.agent.cert,
    keyFile: certs.agent.key,
    caFile: certs.trust,
    checkServerIdentity: identityCheck(anyManagerOf(join.clusterId)),
  };
  const inboxPrefix = subjects(join.clusterId).inboxPrefix(join.nodeId);
  for (let backoff = 250; ; backoff = Math.min(backoff * 2, 5_000)) {
    signal?.throwIfAborted();
    try {
      return await connectNatsBus({ servers: join.natsUrls, tls, inboxPrefix, name });
    } catch (e) {
      log.warn("cannot reach the managers' bus; retrying", { error: e, retryInMs: backoff });
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
}
