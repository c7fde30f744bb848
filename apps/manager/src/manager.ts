import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { SHOAL_VERSION, type ManagerJoinReply } from "@shoal/api";
import { startRenewal, type Renewal } from "@shoal/api/node";
import { subjects } from "@shoal/bus";
import { AesGcmRecordCipher, openRaftNode, storedKeyIds, type RaftNode } from "@shoal/raft";
import { StoreMachine, type ApplyOutcome } from "@shoal/store";
import { certificatePaths } from "@shoal/trust";
import { allocatorLoop } from "./allocator/loop.js";
import { busLogSource } from "./api/bus-logs.js";
import { caSigner } from "./ca-signer.js";
import { buildInfo } from "./api/info.js";
import { raftViewOf } from "./api/raft-status.js";
import { buildApiServer } from "./api/server.js";
import { updateTls } from "./api/tls-server.js";
import { Dispatcher } from "./dispatcher/dispatcher.js";
import { ManagerStartError } from "./errors.js";
import { newId, newSecret } from "./ids.js";
import { jsonLogger, type Logger, type LoopLog } from "./log.js";
import { keepDataKeyWrapped, openDataKey } from "./keys/lock.js";
import { localSocketPath } from "./private-socket.js";
import { joinAsManager } from "./membership/join.js";
import { addManager, ManagerPromoter, removeManager } from "./membership/managers.js";
import { watchRemoval } from "./membership/removal-watch.js";
import { managerEntryChanges } from "./model/bootstrap.js";
import { routeSecretChanges } from "./model/route-secret.js";
import { natsDir, startManagerBus } from "./nats/start.js";
import type { NatsSupervisor } from "./nats/supervisor.js";
import { nodeMonitorLoop, type HeartbeatBook } from "./node-monitor/loop.js";
import { orchestratorLoop } from "./orchestrator/loop.js";
import { reaperLoop } from "./reaper/loop.js";
import { schedulerLoop } from "./scheduler/loop.js";
import { markRemoved, saveIdentity, startModeOf, type Identity } from "./state-dir.js";
import { createCluster } from "./cluster-creation.js";
import { readManagerTls, selfIssuedTls, type ManagerTls } from "./manager-certificates.js";
import { managerRaftTls, renewFromOwnLog } from "./raft-tls.js";
import { ClusterStore } from "./store/cluster-store.js";
import type { ControlLoop } from "./store/control-loop.js";

// The one file that wires the manager's components. They never import each other: the orchestrator,
// allocator, scheduler, node monitor, reaper, dispatcher, membership and API read, write and watch the store,
// and share only the pure model (./model). What one needs of another (the dispatcher's heartbeats for the node
// monitor, the promoter's kick for the API's manager join) is handed over here.

export { ManagerStartError } from "./errors.js";
export { REMOVED_MARKER } from "./state-dir.js";
export type { HeartbeatBook } from "./node-monitor/loop.js";

export interface LeaderLoopsOptions {
  store: ClusterStore;
  heartbeats: HeartbeatBook;
  log: LoopLog;
  /** Heartbeats a node may miss before it is marked down; default 3. */
  missedHeartbeats?: number;
  clock?: () => number;
}

/**
 * The leader's control loops: orchestrator, network allocator, scheduler, node monitor and task reaper. Started
 * when this manager becomes leader, stopped the moment it is not.
 */
export class LeaderLoops {
  readonly loops: ControlLoop[];

  constructor(o: LeaderLoopsOptions) {
    const env = { store: o.store, log: o.log, clock: o.clock ?? Date.now };
    const leaderSince = env.clock();
    this.loops = [
      orchestratorLoop(env),
      allocatorLoop(env),
      schedulerLoop(env),
      nodeMonitorLoop(env, {
        heartbeats: o.heartbeats,
        leaderSince,
        ...(o.missedHeartbeats === undefined ? {} : { missed: o.missedHeartbeats }),
      }),
      reaperLoop(env),
    ];
  }

  /** Resolves once every loop is idle (tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 3; i++) await Promise.all(this.loops.map((l) => l.idle()));
  }

  stop(): void {
    for (const l of this.loops) l.stop();
  }
}

export interface ManagerOptions {
  /** The manager's state lives in `<dataDir>/manager`. */
  dataDir: string;
  listenAddr: string;
  /** The address other nodes reach this manager at. */
  advertiseAddr: string;
  apiPort: number;
  raftPort: number;
  natsPort: number;
  natsClusterPort: number;
  /** Create a new cluster when the data dir holds none. */
  init: boolean;
  /**
   * Quorum-loss recovery: rebuild a one-manager cluster from this manager's state (services, tasks, nodes and
   * networks are kept; the other managers are removed from Raft for good and from the cluster's managers list).
   */
  forceNewCluster?: boolean;
  /** Called once when this manager has been removed from the managers (demoted, or its node removed). */
  onRemoved?: () => void;
  heartbeatPeriodMs?: number;
  /** The nats-server binary (default: `nats-server` on the PATH). */
  natsServer?: string;
  /** Applied Raft entries between snapshots (default Raft's, 10,000); tests lower it to see snapshots taken. */
  raftSnapshotEntries?: number;
  /**
   * First start only: join an existing cluster as a manager through these managers' APIs. The node must have
   * joined the cluster as a manager (its agent certificate is in `<dataDir>/certificates`).
   */
  join?: { managers: string[] };
  /**
   * Serve the API also on `<runDir>/manager.sock` (0600), where root on this node calls as an admin with no
   * certificate (`shoal` on a manager node); none without it.
   */
  runDir?: string;
  /** Ends a start that waits to be unlocked (autolock): the start then rejects with the signal's reason. */
  signal?: AbortSignal;
  log?: Logger;
}

export interface RunningManager {
  readonly apiAddr: string;
  readonly clusterId: string;
  readonly store: ClusterStore;
  readonly raft: RaftNode;
  readonly nats: NatsSupervisor;
  stop(): Promise<void>;
}

/**
 * Renews this manager's certificate on schedule through the managers' API (presenting the certificate itself),
 * and serves the new one to new API connections once it is written; `onRenewed` hands it to the others.
 */
function renewManagerCertificate(
  dataDir: string,
  api: FastifyInstance,
  store: ClusterStore,
  o: { advertise: string; log: Logger; trust: readonly string[]; onRenewed: (tls: ManagerTls) => void },
): Renewal {
  const paths = certificatePaths(dataDir);
  return startRenewal({
    kind: "manager",
    files: paths.manager,
    trustFile: paths.trust,
    managers: () => (store.state.cluster()?.managers ?? []).map((m) => m.apiAddr),
    addresses: [o.advertise],
    log: o.log,
    onRenewed: (chain, key) => {
      const renewed = { chain: [...chain], key, trust: [...o.trust] };
      updateTls(api, renewed);
      o.onRenewed(renewed);
    },
  });
}

/** Starts a manager: Raft-backed store, nats-server, dispatcher and leader loops (while leader), REST API. */
export async function startManager(o: ManagerOptions): Promise<RunningManager> {
  const log = o.log ?? jsonLogger("manager");
  const dir = join(o.dataDir, "manager");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const advertise = o.advertiseAddr;
  const raftAddr = `${advertise}:${o.raftPort}`;
  const apiAddr = `${advertise}:${o.apiPort}`;
  const natsUrl = `nats://${advertise}:${o.natsPort}`;
  const natsRouteAddr = `${advertise}:${o.natsClusterPort}`;
  const start = startModeOf(dir, o);
  let identity: Identity;
  let joined: ManagerJoinReply | undefined;
  let tls: ManagerTls | undefined;
  if (start.mode === "existing") identity = start.identity;
  else if (start.mode === "init") identity = { clusterId: newId(), raftId: 1, nodeId: newId() };
  else {
    const j = await joinAsManager(
      o.dataDir,
      start.join.managers,
      { raftAddr, apiAddr, natsUrl, natsRouteAddr },
      advertise,
    );
    joined = j.reply;
    tls = j.tls;
    identity = { clusterId: joined.clusterId, raftId: joined.raftId, nodeId: j.nodeId };
    log.info("joining the cluster as a manager", {
      clusterId: joined.clusterId,
      raftId: joined.raftId,
      node: j.nodeId,
      members: joined.members.length,
    });
  }
  const clusterId = identity.clusterId.toLowerCase();

  // Raft's WAL and snapshots are sealed with this manager's data key (keys/keystore.ts). Under autolock it is
  // wrapped: the manager is locked here, serving only its socket, until it is given the unlock key (keys/lock.ts).
  const raftDir = join(dir, "raft");
  const dataKey = await openDataKey(dir, { ...o, raftDir, storedKeyIds: await storedKeyIds(raftDir), clusterId, log });
  const cipher = new AesGcmRecordCipher({ keyId: dataKey.id, key: dataKey.key });
  const machine = new StoreMachine();
  // Raft speaks mutual TLS with the manager certificate: the join's, or on a restart the files' (raft-tls.ts).
  // At `cluster init` there is none until the cluster exists: nothing connects before.
  if (start.mode === "existing" && identity.nodeId) tls = await readManagerTls(o.dataDir, identity.nodeId);
  const raftTls = managerRaftTls({ clusterId, material: tls, state: machine.state, log });
  const self = { address: raftAddr, ...(identity.nodeId ? { nodeId: identity.nodeId } : {}) };
  const raft = await openRaftNode({
    dataDir: raftDir,
    storageOptions: { cipher },
    ...(o.raftSnapshotEntries === undefined ? {} : { snapshotEntries: o.raftSnapshotEntries }),
    id: identity.raftId,
    ...self,
    clusterId: identity.clusterId,
    listen: { host: o.listenAddr, port: o.raftPort },
    transport: raftTls.transport,
    stateMachine: machine,
    ...(start.mode === "init" ? { bootstrap: [{ id: identity.raftId, ...self }] } : {}),
    ...(joined ? { peers: joined.members.filter((m) => m.id !== identity.raftId) } : {}),
    ...(o.forceNewCluster ? { forceNewCluster: true } : {}),
    log: (level, msg, fields) =>
      level === "debug"
        ? undefined
        : log[level === "error" ? "error" : level === "warn" ? "warn" : "info"](msg, { ...fields, component: "raft" }),
  });
  if (start.mode !== "existing") await saveIdentity(dir, identity);
  const store = new ClusterStore(machine, {
    propose: (data) => raft.propose<ApplyOutcome>(data),
    readBarrier: (timeoutMs) => raft.readBarrier(timeoutMs),
    isLeader: () => raft.isLeader(),
  });
  const cleanups: (() => Promise<void> | void)[] = [() => raft.stop()];
  cleanups.push(keepDataKeyWrapped(store, { dir, key: dataKey, clusterId, log }).stop);
  const stopAll = async () => {
    for (const c of cleanups.reverse().splice(0))
      await Promise.resolve(c()).catch((e: unknown) => log.warn("stop step failed", { error: (e as Error).message }));
  };

  try {
    if (start.mode === "existing" && !tls && identity.nodeId) {
      tls = await renewFromOwnLog(raft, machine.state, o.dataDir, { clusterId, nodeId: identity.nodeId, advertise });
      if (tls) {
        log.warn("this manager's certificate was missing or expiring: it issued itself one from the CA in its log");
        raftTls.update(tls);
      }
    }
    await raft.waitForLeader(15_000);
    const me = {
      raftId: identity.raftId,
      apiAddr,
      natsUrl,
      raftAddr,
      natsRouteAddr,
      ...(identity.nodeId ? { nodeId: identity.nodeId } : {}),
    };
    await store.read();
    const existing = store.state.cluster();
    if (!existing && raft.isLeader()) {
      tls = await createCluster(o.dataDir, store, { identity, me, heartbeatPeriodMs: o.heartbeatPeriodMs, advertise });
      log.info("cluster created", { clusterId: identity.clusterId, node: identity.nodeId });
    } else if (existing && raft.isLeader()) {
      const { commands, dropped } = managerEntryChanges(existing, me, o);
      // Managers dropped by a forced new cluster lose the bus's routes; a store made before the route secret
      // gets one (model/route-secret.ts).
      const stored = store.state.secrets();
      const secretChanges = stored
        ? routeSecretChanges(stored, { rotate: dropped.length > 0 }, () => newSecret(40))
        : [];
      await store.write([...commands, ...secretChanges]);
      if (o.forceNewCluster) {
        log.warn("forced a new cluster: this manager is the only one; services, tasks, nodes and networks are kept", {
          removedManagers: dropped.map((m) => `${m.raftId}@${m.raftAddr}`).join(",") || "none",
          term: raft.status().term,
        });
      }
    }
    // A follower of a leader that has not yet given an old store its route secret waits for it.
    for (const until = Date.now() + 15_000; store.state.cluster() && !store.state.secrets()?.routeSecret;) {
      if (Date.now() > until)
        throw new ManagerStartError("manager: the cluster's secrets hold no route secret for the bus", {
          hint: "start the leader with this version first: it adds one",
        });
      await new Promise((r) => setTimeout(r, 100));
    }
    const cluster = store.state.cluster();
    const secrets = store.state.secrets();
    if (!cluster || !secrets)
      throw new ManagerStartError(
        `manager: the cluster ${cluster ? "secrets are" : "object is"} missing from the store: the data dir may be damaged`,
      );
    if (!identity.nodeId)
      throw new ManagerStartError(
        `manager: ${join(dir, "manager.json")} names no node: it was made by an earlier version, which cannot be upgraded in place`,
        { hint: "move the cluster to a new one (docs/operations.md, upgrades)" },
      );
    if (!tls) {
      tls = await readManagerTls(o.dataDir, identity.nodeId);
      if (!tls) {
        log.warn("this manager's certificate is missing or expiring: it issues itself one from the cluster's CA");
        tls = await selfIssuedTls(o.dataDir, secrets, {
          kind: "manager",
          clusterId,
          nodeId: identity.nodeId,
          addresses: [advertise],
        });
      }
    }
    raftTls.update(tls);

    // The managers' bus servers form one NATS cluster, each configured from the store (nats/start.ts).
    const { nats, bus, ...managerBus } = await startManagerBus(store, {
      dataDir: o.dataDir,
      dir: natsDir(dir),
      clusterId,
      nodeId: identity.nodeId,
      raftId: identity.raftId,
      listenAddr: o.listenAddr,
      advertise,
      port: o.natsPort,
      clusterPort: o.natsClusterPort,
      log,
      ...(o.natsServer ? { binary: o.natsServer } : {}),
    });
    cleanups.push(() => managerBus.stop());

    // Leader-only parts: started on winning an election, stopped the moment leadership is lost.
    let leader: { dispatcher: Dispatcher; loops: LeaderLoops; promoter: ManagerPromoter } | undefined;
    const becomeLeader = () => {
      if (leader) return;
      const dispatcher = new Dispatcher({ bus, store, clusterId, log });
      leader = {
        dispatcher,
        loops: new LeaderLoops({ store, heartbeats: dispatcher.heartbeats, log }),
        promoter: new ManagerPromoter(raft, store, log),
      };
      log.info("leading: control loops and dispatcher started");
    };
    const stepDown = () => {
      if (!leader) return;
      leader.loops.stop();
      leader.dispatcher.stop();
      leader.promoter.stop();
      leader = undefined;
      log.info("not leading: control loops and dispatcher stopped");
    };
    cleanups.push(
      watchRemoval(store, identity.raftId, log, () => {
        markRemoved(dir, identity.raftId, Date.now());
        stepDown();
        o.onRemoved?.();
      }),
    );
    const off = raft.onLeaderChange((c) => (c.isLeader ? becomeLeader() : stepDown()));
    cleanups.push(() => {
      off();
      stepDown();
    });
    if (raft.isLeader()) becomeLeader();

    const info = () => buildInfo(raft, store, { clusterId, raftId: identity.raftId, apiAddr });
    const api: FastifyInstance = await buildApiServer({
      store,
      info,
      logs: busLogSource(bus, subjects(clusterId)),
      version: SHOAL_VERSION,
      leaderApi: () => info().raft.leaderApiAddr,
      raft: () => raftViewOf(raft),
      joinManager: (req) => addManager(raft, store, req, () => leader?.promoter.kick()),
      removeManager: (nodeAddr, force, alsoWrite) => removeManager(raft, store, nodeAddr, force, alsoWrite),
      issueCertificate: caSigner(() => store.state.secrets()),
      tls,
      ...(o.runDir ? { localSocket: { path: await localSocketPath(o.runDir), nodeId: identity.nodeId } } : {}),
      log,
    });
    cleanups.push(() => api.close());
    await api.listen({ host: o.listenAddr, port: o.apiPort });
    const renewal = renewManagerCertificate(o.dataDir, api, store, {
      advertise,
      log,
      trust: tls.trust,
      onRenewed: (renewed) => {
        raftTls.update(renewed);
        managerBus.reloadCertificates();
      },
    });
    cleanups.push(() => renewal.stop());
    log.info("manager ready", { api: apiAddr, raft: raftAddr, nats: natsUrl, clusterId: identity.clusterId });
    return { apiAddr, clusterId, store, raft, nats, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
