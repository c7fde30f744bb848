import { readFile } from "node:fs/promises";
import type { Task } from "@shoal/api";
import type { NetworkView } from "@shoal/bus";
import { startDnsServer, upstreamsFromResolvConf, type DnsServer } from "@shoal/overlay";
import type { AttachmentTracker } from "./attachment-tracker.js";
import type { AgentLog } from "./log.js";
import { answerAddress, answerName } from "./network-desired.js";

/** What the node's DNS server answers from. */
export interface NodeDnsOptions {
  /** The node network's gateway, where the server listens. */
  address: string;
  /** Default 53. */
  port?: number | undefined;
  /** The node network's attachments: which task asks. */
  attachments: AttachmentTracker;
  /** The managers' network view now. */
  view: () => NetworkView;
  /** The task assigned under an id now. */
  task: (taskId: string) => Task | undefined;
  log: AgentLog;
}

/**
 * Serves DNS to the tasks on the node network's gateway: service names from the network view for the querying
 * task, the rest forwarded to the host's resolvers. Resolves with undefined when the address is taken: tasks
 * then get the host's resolvers, and the agent says so.
 */
export async function startNodeDns(o: NodeDnsOptions): Promise<DnsServer | undefined> {
  const tracker = o.attachments;
  await tracker.list();
  try {
    return await startDnsServer({
      address: o.address,
      port: o.port ?? 53,
      lookup: (name, client) => {
        const id = tracker.taskAt(client);
        return answerName(o.view(), id === undefined ? undefined : o.task(id), name);
      },
      reverse: (address) => answerAddress(o.view(), address),
      upstreams: upstreamsFromResolvConf(await readFile("/etc/resolv.conf", "utf8").catch(() => "")),
      log: o.log,
    });
  } catch (e) {
    o.log.warn(
      "cannot serve DNS on the node network's gateway; tasks use the host's resolvers and find no service by name",
      { address: o.address, error: e },
    );
    return undefined;
  }
}
