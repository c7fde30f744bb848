import { join } from "node:path";
import type { BusConnection } from "@shoal/bus";
import { certificatePaths, identityCheck, managerOfNode } from "@shoal/trust";
import type { LoopLog } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { renderNatsConfig } from "./config.js";
import { connectWithRetry } from "./connect.js";
import { NatsSupervisor } from "./supervisor.js";
import { watchBusConfig } from "./watch.js";

/** Where this manager's bus server listens and who it is. */
export interface ManagerBusOptions {
  /** The node's data dir: the manager's certificate and the trust bundle are read from it (§4.3). */
  dataDir: string;
  /** Where the server's config, pid file and log go. */
  dir: string;
  clusterId: string;
  nodeId: string;
  raftId: number;
  listenAddr: string;
  advertise: string;
  port: number;
  clusterPort: number;
  binary?: string;
  log: LoopLog;
}

/** This manager's bus: its nats-server, its own client, and what to call when its certificate was renewed. */
export interface ManagerBus {
  readonly nats: NatsSupervisor;
  readonly bus: BusConnection;
  /** nats-server reads the renewed certificate files at a reload: for its clients and its routes. */
  readonly reloadCertificates: () => void;
  readonly stop: () => Promise<void>;
}

/**
 * Starts this manager's nats-server with its config rendered from the store (a user per node's agent with its
 * own subjects only and per manager, the other managers as routes), keeps it reloaded as the store changes
 * (watch.ts), and connects this manager's own client with its manager certificate, accepting only its own server.
 */
export async function startManagerBus(store: ClusterStore, o: ManagerBusOptions): Promise<ManagerBus> {
  const certs = certificatePaths(o.dataDir);
  const nats = new NatsSupervisor({
    dir: o.dir,
    listenAddr: o.listenAddr,
    port: o.port,
    log: o.log,
    ...(o.binary ? { binary: o.binary } : {}),
  });
  const settings = {
    name: `shoal-manager-${o.raftId}`,
    listenAddr: o.listenAddr,
    port: o.port,
    clusterPort: o.clusterPort,
    clientAdvertise: `${o.advertise}:${o.port}`,
    clusterAdvertise: `${o.advertise}:${o.clusterPort}`,
    pidFile: nats.pidFile,
    raftId: o.raftId,
    tls: { cert: certs.manager.cert, key: certs.manager.key, ca: certs.trust },
  };
  const render = () => renderNatsConfig(store.state, settings);
  nats.start(render());
  const unwatch = watchBusConfig(store, nats, () => render(), o.log);
  try {
    const bus = await connectWithRetry(
      nats.url,
      {
        certFile: certs.manager.cert,
        keyFile: certs.manager.key,
        caFile: certs.trust,
        checkServerIdentity: identityCheck(managerOfNode(o.clusterId, o.nodeId)),
      },
      `manager-${o.raftId}`,
      10_000,
    );
    return {
      nats,
      bus,
      reloadCertificates: () =>
        void nats.reload(render(), { force: true }).then((r) => o.log.info("bus certificate reloaded", { ...r })),
      stop: async () => {
        await bus.close();
        unwatch();
        await nats.stop();
      },
    };
  } catch (e) {
    unwatch();
    await nats.stop();
    throw e;
  }
}

/** The directory of a manager's nats-server under its state dir. */
export const natsDir = (managerDir: string): string => join(managerDir, "nats");
