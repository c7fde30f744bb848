import type { ManagerOptions } from "../manager.js";
import { silentLogger } from "../log.js";
import { freePort } from "./net.js";

/** Options of a one-manager cluster on loopback with free ports, initialised in `dataDir`, logging nothing. */
export async function managerOptions(dataDir: string): Promise<ManagerOptions> {
  return {
    dataDir,
    listenAddr: "127.0.0.1",
    advertiseAddr: "127.0.0.1",
    apiPort: await freePort(),
    raftPort: await freePort(),
    natsPort: await freePort(),
    natsClusterPort: await freePort(),
    init: true,
    natsServer: "/usr/sbin/nats-server",
    log: silentLogger,
  };
}
