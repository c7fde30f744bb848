import { createServer } from "node:net";
import type { NodeId } from "../core/types.js";
import { MemoryDurableStorage } from "../storage/durable-storage.js";
import { encodeKvCommand, KvStateMachine } from "../testing/kv/kv-state-machine.js";
import { MemoryNetwork } from "../transport/memory-transport.js";
import { type LeaderChange, RaftNode, type RaftNodeOptions } from "./raft-node.js";

/** Test support for RaftNode's tests: fast clocks, an in-memory cluster of nodes, leader waits. */

/** Ticks of 10 ms: elections within 100-200 ms. */
export const FAST = { tickMs: 10, raft: { electionTick: 10, heartbeatTick: 1 } } as const;

/** Resolves with the first node of `nodes` that leads (now, or after a leadership change). */
export function waitLeader(nodes: readonly RaftNode[], timeoutMs = 10_000): Promise<RaftNode> {
  return new Promise((resolve, reject) => {
    const current = nodes.find((n) => n.isLeader());
    if (current) return resolve(current);
    const offs: (() => void)[] = [];
    const timer = setTimeout(() => {
      offs.forEach((o) => o());
      reject(new Error("no leader elected in time"));
    }, timeoutMs);
    for (const n of nodes) {
      offs.push(
        n.onLeaderChange((c: LeaderChange) => {
          if (!c.isLeader) return;
          clearTimeout(timer);
          offs.forEach((o) => o());
          resolve(n);
        }),
      );
    }
  });
}

/** RaftNodes over the in-memory network and storage; a node's storage survives its restarts. */
export interface MemNodeCluster {
  net: MemoryNetwork;
  nodes: Map<NodeId, RaftNode>;
  sms: Map<NodeId, KvStateMachine>;
  storages: Map<NodeId, MemoryDurableStorage>;
  /** Starts (or restarts) node `id`: as a bootstrap member of the initial ids, or joining with `peers`. */
  start(id: NodeId, bootstrap?: boolean, peers?: NodeId[], extra?: Partial<RaftNodeOptions>): Promise<RaftNode>;
  /** Starts every initial member and resolves with the leader they elect. */
  startAll(): Promise<RaftNode>;
  stopAll(): Promise<void>;
}

/** Options of {@link memCluster}. */
export interface MemClusterOptions {
  readonly snapshotEntries?: number;
  /**
   * Member i is node `n<i>`: its transport proves that identity and checks its peers' (the twin of mutual TLS),
   * and bootstrap and peer lists record it.
   */
  readonly identities?: boolean;
  /** With identities: the store's check of a verified identity (see `MemoryTransportOptions.authorize`). */
  readonly authorize?: (nodeId: string) => string | undefined;
}

/** An in-memory cluster whose initial members are `ids` (none started yet). */
export function memCluster(ids: NodeId[], opts: MemClusterOptions = {}): MemNodeCluster {
  const net = new MemoryNetwork();
  const member = (id: NodeId) => ({
    id,
    address: `memory:${id}`,
    ...(opts.identities ? { nodeId: `n${id}` } : {}),
  });
  const c: MemNodeCluster = {
    net,
    nodes: new Map(),
    sms: new Map(),
    storages: new Map(),
    async start(id, bootstrap = true, peers: NodeId[] = [], extra = {}) {
      const storage = c.storages.get(id) ?? new MemoryDurableStorage();
      c.storages.set(id, storage);
      const sm = new KvStateMachine();
      c.sms.set(id, sm);
      const identity = opts.identities
        ? { nodeId: `n${id}`, ...(opts.authorize ? { authorize: opts.authorize } : {}) }
        : {};
      const node = await RaftNode.start({
        ...FAST,
        id,
        ...(opts.identities ? { nodeId: `n${id}` } : {}),
        address: `memory:${id}`,
        storage,
        transport: net.transport(id, identity),
        stateMachine: sm,
        snapshotEntries: opts.snapshotEntries ?? 10_000,
        catchUpEntries: 5,
        ...(bootstrap ? { bootstrap: ids.map(member) } : {}),
        peers: peers.map(member),
        ...extra,
      });
      c.nodes.set(id, node);
      return node;
    },
    async startAll() {
      for (const id of ids) await c.start(id);
      return waitLeader([...c.nodes.values()]);
    },
    async stopAll() {
      await Promise.all([...c.nodes.values()].map((n) => n.stop()));
    },
  };
  return c;
}

/** A put command of the test key-value store. */
export const put = (key: string, value: string): Uint8Array => encodeKvCommand({ op: "put", key, value });

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
