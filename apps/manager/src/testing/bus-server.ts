import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { connectNatsBus, type BusConnection, type BusPermissionError, type BusStatus } from "@shoal/bus";
import {
  anyManagerOf,
  certificatePaths,
  identityCheck,
  writeCertificateFiles,
  writeTrustBundle,
  type CertificatePaths,
} from "@shoal/trust";
import { testCa, type TestCa, type TestCredentials } from "@shoal/trust/testing";
import { silentLogger } from "../log.js";
import { renderNatsConfig, type NatsServerSettings } from "../nats/config.js";
import { NatsSupervisor, type ReloadOutcome } from "../nats/supervisor.js";
import { watchBusConfig } from "../nats/watch.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { pollUntil } from "./fixtures.js";
import { freePort } from "./net.js";

export const NATS_SERVER = "/usr/sbin/nats-server";

/** A bus client of a test, with what it was told. */
export interface TestBusClient {
  readonly bus: BusConnection;
  readonly refusals: BusPermissionError[];
  readonly statuses: BusStatus[];
}

/** One manager's supervised nats-server whose config follows a store, as `startManager` runs it. */
export interface BusServer {
  readonly sup: NatsSupervisor;
  readonly settings: NatsServerSettings;
  readonly ca: TestCa;
  /** Every reload the store's changes caused. */
  readonly reloads: ReloadOutcome[];
  /** Connects with these credentials (their certificate files written to a temp dir). */
  connect(creds: TestCredentials, name: string, o?: { inboxPrefix?: string }): Promise<TestBusClient>;
}

/** Writes credentials as a node's certificate files (agent or manager, as their identity says) in a temp dir. */
export async function credentialFiles(t: TestContext, creds: TestCredentials): Promise<CertificatePaths> {
  const dir = mkdtempSync(join(tmpdir(), "shoal-bus-creds-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = certificatePaths(dir);
  await writeTrustBundle(paths.trust, creds.trust.length ? creds.trust : (await testCa("c1")).trust);
  await writeCertificateFiles(creds.identity.kind === "manager" ? paths.manager : paths.agent, creds.chain, creds.key);
  return paths;
}

/**
 * A nats-server for the store's cluster (`c1`, the test CA's), presenting manager `nodeId`'s certificate (Raft id
 * `raftId`), reloaded by `watchBusConfig` as the store changes; stopped and removed after the test.
 */
export async function busServer(
  t: TestContext,
  store: ClusterStore,
  o: { nodeId?: string; raftId?: number; clusterPort?: number } = {},
): Promise<BusServer> {
  const ca = await testCa("c1");
  const dir = mkdtempSync(join(tmpdir(), "shoal-nats-test-"));
  const port = await freePort();
  const sup = new NatsSupervisor({ dir, listenAddr: "127.0.0.1", port, binary: NATS_SERVER, log: silentLogger });
  const files = await credentialFiles(t, await ca.manager(o.nodeId ?? "m1", ["127.0.0.1"]));
  const settings: NatsServerSettings = {
    name: `test-${o.nodeId ?? "m1"}`,
    listenAddr: "127.0.0.1",
    port,
    clusterPort: o.clusterPort ?? (await freePort()),
    pidFile: sup.pidFile,
    raftId: o.raftId ?? 1,
    tls: { cert: files.manager.cert, key: files.manager.key, ca: files.trust },
  };
  const render = (s: typeof store.state) => renderNatsConfig(s, settings);
  const reloads: ReloadOutcome[] = [];
  const unwatch = watchBusConfig(store, sup, render, silentLogger, (r) => reloads.push(r));
  t.after(async () => {
    unwatch();
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  sup.start(render(store.state));
  const connect = async (creds: TestCredentials, name: string, c: { inboxPrefix?: string } = {}) => {
    const paths = await credentialFiles(t, creds);
    const own = creds.identity.kind === "manager" ? paths.manager : paths.agent;
    const tls = {
      certFile: own.cert,
      keyFile: own.key,
      caFile: paths.trust,
      checkServerIdentity: identityCheck(anyManagerOf("c1")),
    };
    const bus = await pollUntil(
      () =>
        connectNatsBus({ servers: [sup.url], tls, name, connectTimeoutMs: 1_000, ...c }).catch((e: Error) =>
          /refused the certificate/.test(e.message) ? Promise.reject(e) : undefined,
        ),
      `${name} connected to nats-server`,
      10_000,
      50,
    );
    t.after(() => bus.close());
    const client: TestBusClient = { bus, refusals: [], statuses: [] };
    bus.onPermissionError((e) => client.refusals.push(e));
    bus.onStatus((s) => client.statuses.push(s));
    return client;
  };
  return { sup, settings, ca, reloads, connect };
}
