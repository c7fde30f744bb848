/**
 * @shoal/raft: Raft consensus for Shoal's managers.
 *
 * - a pure, deterministic core (`RawNode`) driven by tick/step/propose and returning `Ready` batches;
 * - durable storage (write-ahead log and snapshot files) and a TCP transport, each with an in-memory twin;
 * - `RaftNode`, the driver the manager uses: propose and await commit, read barriers, membership, status.
 */
export * from "./core/types.js";
export * from "./errors.js";
export { MemoryStorage, type LogStorage } from "./core/log-storage.js";
export { RawNode, type RaftStatus, type PeerStatus } from "./core/raw-node.js";
export { ReadOnlyOption, DEFAULT_RAFT_CONFIG, type RaftConfig, type RaftConfigInput } from "./core/config.js";
export { ProgressState } from "./core/progress.js";
export { encodeConfChange, decodeConfChange, encodeMessage, decodeMessage } from "./codec/codec.js";
export * from "./storage/durable-storage.js";
export * from "./transport/index.js";
export { RaftNode, type RaftNodeOptions, type LeaderChange } from "./node/raft-node.js";
export { openRaftNode, type OpenRaftNodeOptions } from "./node/open.js";
export { planForceNewCluster, type ForceNewClusterPlan } from "./node/force-new-cluster.js";
export type { StateMachine } from "./node/state-machine.js";
export type { NodeStatus } from "./node/status.js";
export { type Member, type MemberOf, decodeMemberContext, encodeMemberContext } from "./node/member.js";
export type { NodeLog, NodeLogLevel } from "./node/log.js";
