import os from "node:os";
import path from "node:path";
import { existsSync } from "node:fs";
import { startRenewal } from "@shoal/api/node";
import { certificatePaths } from "@shoal/trust";
import { openRuntime, removeCgroupParent } from "@shoal/runtime";
import { AgentRuntime, type Agent } from "./agent.js";
import { connectAgentBus } from "./bus-connect.js";
import type { AgentOptions } from "./agent-options.js";
import { NotJoinedError } from "./errors.js";
import { joinNode } from "./join.js";
import { agentLog } from "./log.js";
import { openBridgeNetwork, openVxlanOverlay } from "@shoal/overlay";
import { defaultAddress } from "./node-description.js";
import { AgentStateFiles } from "./state-files.js";

/**
 * Starts the agent: joins (first start) or reads the stored join, opens the runtime and the network, connects
 * to the bus, serves the local API and registers with the managers. Resolves once the first registration
 * attempt ended (the agent keeps trying in the background when the managers cannot be reached); rejects
 * when the managers refuse the join token, or no longer know the node.
 */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const log = opts.log ?? agentLog();
  const files = new AgentStateFiles(path.join(opts.dataDir, "agent"));
  let join = await files.readJoin();
  if (!join) {
    if (!opts.join) throw new NotJoinedError(files.dir);
    join = await joinNode(opts.dataDir, opts.join.managers, opts.join.token, { hostname: opts.hostname });
    log.info("joined the cluster", { cluster: join.clusterId, node: join.nodeId, role: join.role });
  }
  const hostname = opts.hostname ?? os.hostname();
  const owned: (() => Promise<void>)[] = [];
  let onLeft: (() => void) | undefined;
  try {
    let executor = opts.executor;
    if (!executor) {
      const cgroupParent = opts.cgroupParent ?? "shoal";
      const rt = await openRuntime({
        dataDir: path.join(opts.dataDir, "runtime"),
        runDir: path.join(opts.runDir, "runtime"),
        cgroupParent,
      });
      owned.push(() => rt.close());
      executor = rt;
      // Leaving removes the containers, then their cgroup parent (a dir still holding processes is reported).
      onLeft = () => {
        const left = removeCgroupParent(cgroupParent);
        if (left.length > 0) log.warn("cgroups still in use after leaving", { cgroups: left });
      };
    }
    let network = opts.network;
    let overlay = opts.overlay;
    if (!network && opts.networking !== "none") {
      network = openBridgeNetwork({
        stateDir: path.join(opts.dataDir, "network"),
        ...(opts.bridge ? { bridge: opts.bridge, table: opts.bridge, netnsPrefix: `${opts.bridge}-` } : {}),
        ...(opts.bridgeSubnet ? { subnet: opts.bridgeSubnet } : {}),
      });
      overlay ??= openVxlanOverlay({
        underlayAddress: opts.advertiseAddr ?? defaultAddress(),
        ...(opts.bridge
          ? { netnsPrefix: `${opts.bridge}v-`, vipTable: `${opts.bridge.replaceAll(/[^A-Za-z0-9_]/g, "_")}_vip` }
          : {}),
      });
    }
    await network?.setup();
    let bus = opts.bus;
    if (!bus) {
      const b = await connectAgentBus(opts.dataDir, join, `shoal-agent-${hostname}`, log);
      owned.push(() => b.close());
      bus = b;
      // The node's agent certificate renews itself, through the managers the join named.
      const paths = certificatePaths(opts.dataDir);
      if (existsSync(paths.agent.cert)) {
        const managers = join.managers;
        const renewal = startRenewal({
          kind: "agent",
          files: paths.agent,
          trustFile: paths.trust,
          managers: () => managers,
          log,
        });
        owned.push(() => Promise.resolve(renewal.stop()));
      }
    }
    const agent = new AgentRuntime({
      ...opts,
      join,
      hostname,
      log,
      files,
      executor,
      network,
      overlay,
      bus,
      owned,
      ...(onLeft ? { onLeft } : {}),
    });
    const fatal = await agent.start();
    if (fatal) {
      await agent.stop();
      throw fatal;
    }
    return agent;
  } catch (e) {
    for (const close of owned.reverse()) await close().catch(() => undefined);
    throw e;
  }
}
