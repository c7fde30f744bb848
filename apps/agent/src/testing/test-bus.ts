// The managers' bus as agents' tests meet it: a real nats-server with mutual TLS whose users are one node's agent
// (confined to its subjects) and one manager (everything), and a manager's client of it.
import { connectNatsBus, MANAGER_PERMISSIONS, natsPermissions, type BusConnection } from "@shoal/bus";
import { startTestNatsServer, type TestNatsServer } from "@shoal/bus/testing";
import { anyManagerOf, identityCheck, type CertificateFiles } from "@shoal/trust";
import type { TestCredentials } from "@shoal/trust/testing";

/**
 * A nats-server in `dir` presenting `server`'s certificate, trusting `trust`, with users for node `nodeId`'s
 * agent and manager `managerId` of cluster `clusterId`. Stop it when done.
 */
export function clusterNatsServer(o: {
  dir: string;
  server: TestCredentials;
  trust: readonly string[];
  clusterId: string;
  nodeId: string;
  managerId: string;
}): Promise<TestNatsServer> {
  return startTestNatsServer({
    dir: o.dir,
    cert: o.server.chain.join(""),
    key: o.server.key,
    trust: o.trust,
    users: [
      { user: `shoal://${o.clusterId}/node/${o.nodeId}/agent`, permissions: natsPermissions(o.clusterId, o.nodeId) },
      { user: `shoal://${o.clusterId}/node/${o.managerId}/manager`, permissions: MANAGER_PERMISSIONS },
    ],
  });
}

/** A manager's bus client of `url` with the certificate `files` (and trust bundle `trust`), accepting any manager. */
export function connectManagerBus(
  url: string,
  files: CertificateFiles,
  trust: string,
  clusterId: string,
  name: string,
): Promise<BusConnection> {
  return connectNatsBus({
    servers: [url],
    tls: {
      certFile: files.cert,
      keyFile: files.key,
      caFile: trust,
      checkServerIdentity: identityCheck(anyManagerOf(clusterId)),
    },
    name,
  });
}
