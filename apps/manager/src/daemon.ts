import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { ShoalError, writeFileDurably } from "@shoal/common";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { ClusterSpecSchema, DEFAULT_NETWORK, INGRESS_NETWORK, NetworkSpecSchema, SHOAL_VERSION, ShoalClient, type Cluster, type Info, type ManagerJoinReply, type ManagerJoinRequest } from "@shoal/api";
import { connectNatsBus, subjects, type BusConnection } from "@shoal/bus";
import { openRaftNode, type RaftNode } from "@shoal/raft";
import { StoreMachine, updateOf, type ApplyOutcome } from "@shoal/store";
import { buildApiServer } from "./api/server.js";
import { raftViewOf } from "./api/raft-status.js";
import { busLogSource } from "./api/bus-logs.js";
import { Dispatcher } from "./dispatcher/dispatcher.js";
import { newId, newSecret } from "./ids.js";
import { LeaderLoops } from "./leader/leader.js";
import { jsonLogger, type Logger } from "./log.js";
import { NatsSupervisor } from "./nats/supervisor.js";
import { addManager, ManagerPromoter, removeManager } from "./membership/managers.js";
import { ClusterStore } from "./store/cluster-store.js";

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
  /** First start only: join an existing cluster as a manager through these managers' APIs, with the manager token. */
  join?: { managers: string[]; token: string };
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

export class ManagerStartError extends ShoalError {
  readonly code = "SHOAL_ERR_MANAGER_START";
  readonly status = 500;
}

interface Identity {
  clusterId: string;
  raftId: number;
}

/** Starts a manager: Raft-backed store, nats-server, dispatcher and leader loops (while leader), REST API. */
export async function startManager(o: ManagerOptions): Promise<RunningManager> {
  const log = o.log ?? jsonLogger("manager");
  const dir = join(o.dataDir, "manager");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const idFile = join(dir, "manager.json");
  const advertise = o.advertiseAddr;
  const raftAddr = `${advertise}:${o.raftPort}`;
  const apiAddr = `${advertise}:${o.apiPort}`;
  const natsUrl = `nats://${advertise}:${o.natsPort}`;
  const natsRouteAddr = `${advertise}:${o.natsClusterPort}`;
  let identity: Identity;
  let fresh = false;
  let joined: ManagerJoinReply | undefined;
  if (existsSync(join(dir, REMOVED_MARKER))) {
    throw new ManagerStartError(`manager: the manager of ${dir} was removed from the cluster (demoted or its node removed); it cannot run again`, {
      hint: "join the node again as a manager (`shoal node promote`, or `shoal cluster leave --force` then `shoal cluster join` with the manager token)",
    });
  }
  if (existsSync(idFile)) identity = JSON.parse(readFileSync(idFile, "utf8")) as Identity;
  else if (o.forceNewCluster) {
    throw new ManagerStartError(`manager: ${dir} holds no manager state, so there is nothing to recover: run --force-new-cluster on a node that was a manager`);
  } else if (o.init) {
    identity = { clusterId: newId(), raftId: 1 };
    fresh = true;
  } else if (o.join) {
    joined = await joinAsManager(o.join, { raftAddr, apiAddr, natsUrl, natsRouteAddr });
    identity = { clusterId: joined.clusterId, raftId: joined.raftId };
    fresh = true;
    log.info("joining the cluster as a manager", { clusterId: joined.clusterId, raftId: joined.raftId, members: joined.members.length });
  } else {
    throw new ManagerStartError(`manager: ${dir} holds no cluster: start a new one with \`shoal cluster init\` (or pass --init), or join one with a manager token`);
  }

  const machine = new StoreMachine();
  const raft = await openRaftNode({
    dataDir: join(dir, "raft"),
    id: identity.raftId,
    clusterId: identity.clusterId,
    listen: { host: o.listenAddr, port: o.raftPort },
    address: raftAddr,
    stateMachine: machine,
    ...(fresh && !joined ? { bootstrap: [{ id: identity.raftId, address: raftAddr }] } : {}),
    ...(joined ? { peers: joined.members.filter((m) => m.id !== identity.raftId) } : {}),
    ...(o.forceNewCluster ? { forceNewCluster: true } : {}),
    log: (level, msg, fields) => (level === "debug" ? undefined : log[level === "error" ? "error" : level === "warn" ? "warn" : "info"](msg, { ...fields, component: "raft" })),
  });
  if (fresh) await writeFileDurably(idFile, JSON.stringify(identity));
  const store = new ClusterStore(machine, {
    propose: (data) => raft.propose<ApplyOutcome>(data),
    readBarrier: (timeoutMs) => raft.readBarrier(timeoutMs),
    isLeader: () => raft.isLeader(),
  });
  const cleanups: (() => Promise<void> | void)[] = [() => raft.stop()];
  const stopAll = async () => {
    for (const c of cleanups.reverse().splice(0)) await Promise.resolve(c()).catch((e: unknown) => log.warn("stop step failed", { error: (e as Error).message }));
  };

  try {
    await raft.waitForLeader(15_000);
    const me = { raftId: identity.raftId, apiAddr, natsUrl, raftAddr, natsRouteAddr };
    await store.read();
    let cluster = store.state.cluster();
    if (!cluster && raft.isLeader()) {
      const spec = ClusterSpecSchema.parse(o.heartbeatPeriodMs ? { heartbeatPeriodMs: o.heartbeatPeriodMs } : {});
      const obj: Omit<Cluster, "version" | "createdAt" | "updatedAt"> = {
        id: identity.clusterId.toLowerCase(),
        spec,
        joinTokens: { worker: joinToken(identity.clusterId, "w"), manager: joinToken(identity.clusterId, "m") },
        busToken: newSecret(40),
        managers: [me],
        lastRaftId: me.raftId,
      };
      // With the cluster, its two networks: the routing mesh's, and the one services that name none join.
      await store.write([
        { op: "create", kind: "cluster", object: obj },
        { op: "create", kind: "network", object: { id: newId(), spec: NetworkSpecSchema.parse({ name: INGRESS_NETWORK, ingress: true }), subnets: [] } },
        { op: "create", kind: "network", object: { id: newId(), spec: NetworkSpecSchema.parse({ name: DEFAULT_NETWORK }), subnets: [] } },
      ]);
      log.info("cluster created", { clusterId: identity.clusterId });
    } else if (cluster && raft.isLeader()) {
      const known = cluster.managers.find((m) => m.raftId === me.raftId);
      const changedPeriod = o.heartbeatPeriodMs !== undefined && cluster.spec.heartbeatPeriodMs !== o.heartbeatPeriodMs;
      // After a forced new cluster this manager is the only one; the others' node objects stay and go down.
      const dropped = o.forceNewCluster ? cluster.managers.filter((m) => m.raftId !== me.raftId) : [];
      if (!known || JSON.stringify(known) !== JSON.stringify(me) || changedPeriod || dropped.length > 0) {
        const managers = [...cluster.managers.filter((m) => m.raftId !== me.raftId && !dropped.includes(m)), me];
        const spec = changedPeriod ? { ...cluster.spec, heartbeatPeriodMs: o.heartbeatPeriodMs as number } : cluster.spec;
        await store.write([updateOf("cluster", cluster, { spec, managers })]);
      }
      if (o.forceNewCluster) {
        log.warn("forced a new cluster: this manager is the only one; services, tasks, nodes and networks are kept", {
          removedManagers: dropped.map((m) => `${m.raftId}@${m.raftAddr}`).join(",") || "none",
          term: raft.status().term,
        });
      }
    }
    cluster = store.state.cluster();
    if (!cluster) throw new ManagerStartError("manager: the cluster object is missing from the store: the data dir may be damaged");

    // The managers' bus servers form one NATS cluster: each lists the others' cluster ports as routes (a new
    // one knows them from its join reply; they learn of it through the routes it opens).
    const routeAddrs = joined?.natsRouteAddrs ?? cluster.managers.filter((m) => m.raftId !== me.raftId).flatMap((m) => (m.natsRouteAddr ? [m.natsRouteAddr] : []));
    const nats = new NatsSupervisor({
      dir: join(dir, "nats"),
      listenAddr: o.listenAddr,
      port: o.natsPort,
      clusterPort: o.natsClusterPort,
      token: cluster.busToken,
      name: `shoal-manager-${identity.raftId}`,
      clientAdvertise: `${advertise}:${o.natsPort}`,
      clusterAdvertise: natsRouteAddr,
      routes: routeAddrs.map((a) => `nats-route://route:${encodeURIComponent(cluster?.busToken ?? "")}@${a}`),
      log,
      ...(o.natsServer ? { binary: o.natsServer } : {}),
    });
    nats.start();
    cleanups.push(() => nats.stop());
    const bus: BusConnection = await connectWithRetry(nats.url, cluster.busToken, `manager-${identity.raftId}`, 10_000);
    cleanups.push(() => bus.close());
    const s = subjects(identity.clusterId.toLowerCase());

    // Leader-only parts: started on winning an election, stopped the moment leadership is lost.
    let leader: { dispatcher: Dispatcher; loops: LeaderLoops; promoter: ManagerPromoter } | undefined;
    const becomeLeader = () => {
      if (leader) return;
      const dispatcher = new Dispatcher({ bus, store, clusterId: identity.clusterId.toLowerCase(), log });
      leader = { dispatcher, loops: new LeaderLoops({ store, heartbeats: dispatcher.heartbeats, log }), promoter: new ManagerPromoter(raft, store, log) };
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
    // Demoted (or its node removed): the others no longer replicate to it, so it stops serving stale state.
    let listed = store.state.cluster()?.managers.some((m) => m.raftId === identity.raftId) ?? false;
    const offRemoved = store.watch(() => {
      const mine = store.state.cluster()?.managers.some((m) => m.raftId === identity.raftId) ?? false;
      if (mine) listed = true;
      else if (listed) {
        listed = false;
        log.warn("this manager was removed from the cluster's managers; stopping it (the node's agent keeps running)");
        // Marks the state as a removed manager's: it is never started again, and a promotion starts anew.
        writeFileSync(join(dir, REMOVED_MARKER), `${JSON.stringify({ raftId: identity.raftId, at: new Date().toISOString() })}\n`);
        stepDown();
        o.onRemoved?.();
      }
    });
    cleanups.push(offRemoved);
    const off = raft.onLeaderChange((c) => (c.isLeader ? becomeLeader() : stepDown()));
    cleanups.push(() => {
      off();
      stepDown();
    });
    if (raft.isLeader()) becomeLeader();

    const info = (): Info => {
      const st = raft.status();
      const c = store.state.cluster();
      const lead = st.lead ? c?.managers.find((m) => m.raftId === st.lead) : undefined;
      return {
        version: SHOAL_VERSION,
        clusterId: identity.clusterId.toLowerCase(),
        nodeId: String(identity.raftId),
        managerAddr: apiAddr,
        raft: {
          leader: raft.isLeader(),
          ...(st.lead ? { leaderId: String(st.lead) } : {}),
          ...(lead ? { leaderApiAddr: lead.apiAddr } : {}),
          term: st.term,
          commitIndex: st.commit,
          appliedIndex: st.applied,
        },
        counts: { nodes: store.state.list("node").length, services: store.state.list("service").length, tasks: store.state.list("task").length },
      };
    };
    const api: FastifyInstance = await buildApiServer({
      store,
      info,
      logs: busLogSource(bus, s),
      version: SHOAL_VERSION,
      leaderApi: () => info().raft.leaderApiAddr,
      raft: () => raftViewOf(raft),
      joinManager: (req) => addManager(raft, store, req, () => leader?.promoter.kick()),
      removeManager: (nodeAddr, force) => removeManager(raft, store, nodeAddr, force),
    });
    cleanups.push(() => api.close());
    await api.listen({ host: o.listenAddr, port: o.apiPort });
    log.info("manager ready", { api: apiAddr, raft: raftAddr, nats: natsUrl, clusterId: identity.clusterId });
    return { apiAddr, clusterId: identity.clusterId.toLowerCase(), store, raft, nats, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The file a removed manager leaves in its state dir (`<data dir>/manager`). */
export const REMOVED_MARKER = "removed.json";

/** `SHLTKN-1-<cluster id>-<w|m><secret>`: says which cluster and role it is for. */
function joinToken(clusterId: string, role: "w" | "m"): string {
  return `SHLTKN-1-${clusterId.toLowerCase()}-${role}${newSecret(32)}`;
}

async function connectWithRetry(url: string, token: string, name: string, deadlineMs: number): Promise<BusConnection> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await connectNatsBus({ servers: [url], token, name, connectTimeoutMs: 1_000 });
    } catch (e) {
      if (Date.now() > until) throw new ManagerStartError(`manager: the bus server at ${url} did not come up: ${(e as Error).message} (see its log nats/nats.log in the manager's data dir)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Asks the cluster's managers to add this one (the request reaches the leader); retried while it cannot be reached. */
async function joinAsManager(j: { managers: string[]; token: string }, where: Omit<ManagerJoinRequest, "token">): Promise<ManagerJoinReply> {
  const client = new ShoalClient({ managers: j.managers, timeoutMs: 60_000 });
  try {
    return await client.call("clusterManagerJoin", { body: { token: j.token, ...where } });
  } catch (e) {
    throw new ManagerStartError(`manager: cannot join the cluster through ${j.managers.join(", ")}: ${(e as Error).message}`, { cause: e });
  }
}
