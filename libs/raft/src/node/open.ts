import { DataDirError, NothingToRecoverError } from "../errors.js";
import { DiskStorage, type DiskStorageOptions } from "../storage/durable-storage.js";
import type { TcpTransportOptions } from "../transport/config.js";
import { TcpTransport } from "../transport/tcp-transport.js";
import type { NodeId } from "../core/types.js";
import { lockDataDir, readIdentity, writeIdentity } from "./data-dir.js";
import { RaftNode, type RaftNodeOptions } from "./raft-node.js";

/** Options of {@link openRaftNode}: a node on a data dir, talking TCP. */
export interface OpenRaftNodeOptions extends Omit<RaftNodeOptions, "id" | "storage" | "transport" | "address"> {
  readonly dataDir: string;
  /** This node's id. Required on the first start; afterwards it must match the data dir's (or be omitted). */
  readonly id?: NodeId;
  /** The cluster's id. Required on the first start; afterwards it must match the data dir's (or be omitted). */
  readonly clusterId?: string;
  /** Where to listen for peers. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The address peers dial; defaults to listen host:port. */
  readonly address?: string;
  /** Transport options; its `log` defaults to the node's. */
  readonly transport?: Omit<Partial<TcpTransportOptions>, "nodeId" | "clusterId" | "host" | "port">;
  readonly storageOptions?: DiskStorageOptions;
}

/**
 * Starts a Raft node on a data dir: locks the dir against a second process, checks (or records, on the first
 * start) the node and cluster ids, opens the WAL and snapshots, listens for peers over TCP, and runs. With
 * `forceNewCluster`, a data dir that holds no member's state is refused with NothingToRecoverError.
 */
export async function openRaftNode(opts: OpenRaftNodeOptions): Promise<RaftNode> {
  if (opts.forceNewCluster && !readIdentity(opts.dataDir)) {
    throw new NothingToRecoverError(
      `raft: cannot force a new cluster: data dir ${opts.dataDir} holds no member's state, so there is nothing to recover`,
    );
  }
  const release = lockDataDir(opts.dataDir);
  try {
    const known = readIdentity(opts.dataDir);
    if (known) {
      if (opts.id !== undefined && opts.id !== known.nodeId) {
        throw new DataDirError(
          `raft: data dir ${opts.dataDir} belongs to node ${known.nodeId}, not ${opts.id}: use that id or another data dir`,
        );
      }
      if (opts.clusterId !== undefined && opts.clusterId !== known.clusterId) {
        throw new DataDirError(
          `raft: data dir ${opts.dataDir} belongs to cluster ${known.clusterId}, not ${opts.clusterId}`,
        );
      }
    } else if (opts.id === undefined || opts.clusterId === undefined) {
      throw new DataDirError(
        `raft: data dir ${opts.dataDir} is empty: give the node's id and the cluster id on its first start`,
      );
    }
    const identity = known ?? { nodeId: opts.id as NodeId, clusterId: opts.clusterId as string };
    const storage = await DiskStorage.open(opts.dataDir, opts.storageOptions);
    if (!known) writeIdentity(opts.dataDir, identity);
    const transport = new TcpTransport({
      // The transport logs where the node does, unless given a logger of its own.
      ...(opts.log ? { log: opts.log } : {}),
      ...opts.transport,
      nodeId: identity.nodeId,
      clusterId: identity.clusterId,
      host: opts.listen.host,
      port: opts.listen.port,
    });
    return await RaftNode.start({
      ...opts,
      id: identity.nodeId,
      address: opts.address ?? `${opts.listen.host}:${opts.listen.port}`,
      storage,
      transport,
      onStopped: release,
    });
  } catch (e) {
    release();
    throw e;
  }
}
