/**
 * @shoal/raft: Raft consensus for Shoal's managers.
 *
 * - a pure, deterministic core (`RawNode`) driven by tick/step/propose and returning `Ready` batches;
 * - durable storage (write-ahead log and snapshot files) and a TCP transport;
 * - `RaftNode`, the driver the manager uses: propose and await commit, read barriers, membership, status.
 */
export * from "./core/types.js";
export * from "./errors.js";
export { MemoryStorage, type LogStorage } from "./core/log-storage.js";
export { encodeConfChange, decodeConfChange, encodeMessage, decodeMessage } from "./codec/codec.js";
