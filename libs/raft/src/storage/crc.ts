import zlib from "node:zlib";
import { StorageFailedError } from "../errors.js";

/** The CRC-32 (IEEE) that node's zlib provides, checked once at load so a too-old runtime fails loudly. */
const zlibCrc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;

/**
 * CRC-32 (IEEE 802.3, as zlib and etcd's WAL use) of `data`, continuing from `seed`.
 * Throws when the runtime lacks `zlib.crc32` (Node < 20.15): storage cannot check its files without it.
 */
export function crc32(data: Uint8Array, seed = 0): number {
  if (zlibCrc32 === undefined) {
    throw new StorageFailedError("raft: zlib.crc32 is missing: durable storage needs Node >= 20.15");
  }
  return zlibCrc32(data, seed);
}
