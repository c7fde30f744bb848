import { type KeyObject, createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from "node:crypto";
import { RaftConfigError, RaftCorruptionError } from "../errors.js";

/**
 * The seam through which durable storage encrypts what it writes: WAL entries records and snapshot data are
 * sealed one record at a time, with associated data that names the record's place (see {@link walEntriesAad},
 * {@link snapshotAad}), so a record opens only where it was written. Implementations: {@link AesGcmRecordCipher}
 * (the real one) and {@link PLAIN_RECORDS} (the identity twin, for tests that do not care).
 */
export interface RecordCipher {
  /** Names the key; written in every segment and snapshot header, so data sealed with another key is refused. */
  readonly keyId: string;
  /**
   * Seals `plain`, bound to `aad`. Returns the sealed record as parts to write one after the other (no copy
   * joins them); their total length is `plain.byteLength + overhead`.
   */
  seal(plain: Uint8Array, aad: Uint8Array): Uint8Array[];
  /** Opens what {@link seal} made with the same `aad`; throws {@link RaftCorruptionError} when it does not open. */
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** The id {@link PLAIN_RECORDS} writes in headers. */
export const PLAIN_KEY_ID = "plain";

/** The identity twin: records are written as they are (no secrecy, no authentication beyond the CRCs). */
export const PLAIN_RECORDS: RecordCipher = {
  keyId: PLAIN_KEY_ID,
  seal: (plain) => [plain],
  open: (sealed) => sealed,
};

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes AES-GCM adds to each record: the nonce before it, the tag after it. */
export const AES_GCM_OVERHEAD = NONCE_BYTES + TAG_BYTES;
/** The key ids this library accepts: short, printable, and never the identity twin's. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Random nonces are drawn from a pool refilled in one call, not one syscall per record.
const POOL_NONCES = 256;

/** Options of {@link AesGcmRecordCipher}. */
export interface AesGcmRecordCipherOptions {
  readonly keyId: string;
  /** The 256-bit data key. */
  readonly key: Uint8Array;
  /** Fills a buffer with random bytes (default node's CSPRNG); tests pass a fixed source. */
  readonly randomFill?: (buf: Uint8Array) => void;
}

/**
 * AES-256-GCM, a random 96-bit nonce per record: a sealed record is `nonce | ciphertext | tag`. Invariant: a key
 * seals fewer than 2^32 records (random nonces stay unique with overwhelming probability only below that), so a
 * key is to be rotated long before; one record per Raft Ready batch keeps that far away.
 */
export class AesGcmRecordCipher implements RecordCipher {
  readonly keyId: string;
  private readonly key: KeyObject;
  private readonly randomFill: (buf: Uint8Array) => void;
  private pool = Buffer.alloc(0);
  private poolPos = 0;

  constructor(o: AesGcmRecordCipherOptions) {
    if (!KEY_ID.test(o.keyId) || o.keyId === PLAIN_KEY_ID) {
      throw new RaftConfigError(`raft: storage key id must be 1-64 letters, digits, '.', '_' or '-', got "${o.keyId}"`);
    }
    if (o.key.byteLength !== 32) {
      throw new RaftConfigError(`raft: the storage key must be 32 bytes (AES-256), got ${o.key.byteLength}`);
    }
    this.keyId = o.keyId;
    this.key = createSecretKey(o.key);
    this.randomFill = o.randomFill ?? ((buf) => randomFillSync(buf));
  }

  seal(plain: Uint8Array, aad: Uint8Array): Uint8Array[] {
    const nonce = this.nextNonce();
    const c = createCipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(aad);
    const body = c.update(plain);
    const rest = c.final();
    const parts: Uint8Array[] = [nonce, body];
    if (rest.byteLength > 0) parts.push(rest);
    parts.push(c.getAuthTag());
    return parts;
  }

  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array {
    if (sealed.byteLength < AES_GCM_OVERHEAD) {
      throw new RaftCorruptionError(
        `raft: sealed record of ${sealed.byteLength} bytes is shorter than its nonce and tag (${AES_GCM_OVERHEAD})`,
      );
    }
    const end = sealed.byteLength - TAG_BYTES;
    const d = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(end));
    const body = d.update(sealed.subarray(NONCE_BYTES, end));
    try {
      d.final();
    } catch (err) {
      throw new RaftCorruptionError(
        `raft: record does not open with key ${this.keyId}: altered, moved from another place, or sealed with another key`,
        { cause: err },
      );
    }
    return body;
  }

  private nextNonce(): Buffer {
    if (this.poolPos + NONCE_BYTES > this.pool.length) {
      this.pool = Buffer.allocUnsafe(NONCE_BYTES * POOL_NONCES);
      this.randomFill(this.pool);
      this.poolPos = 0;
    }
    const nonce = this.pool.subarray(this.poolPos, this.poolPos + NONCE_BYTES);
    this.poolPos += NONCE_BYTES;
    return nonce;
  }
}

const AAD_WAL_ENTRIES = 0x57; // "W"
const AAD_SNAPSHOT = 0x53; // "S"

/**
 * The associated data of a WAL entries record: the segment's sequence number, the record type, the record's
 * offset in its segment and the first index it holds. A record copied to another segment, another offset, or
 * relabelled with another first index does not open.
 */
export function walEntriesAad(seq: number, type: number, offset: number, firstIndex: number): Uint8Array {
  const aad = Buffer.allocUnsafe(26);
  aad[0] = AAD_WAL_ENTRIES;
  aad[1] = type;
  aad.writeBigUInt64LE(BigInt(seq), 2);
  aad.writeBigUInt64LE(BigInt(offset), 10);
  aad.writeBigUInt64LE(BigInt(firstIndex), 18);
  return aad;
}

/**
 * The associated data of a snapshot's data: its term and index and its encoded metadata (membership included),
 * so data opens only under the metadata it was saved with.
 */
export function snapshotAad(term: number, index: number, meta: Uint8Array): Uint8Array {
  const aad = Buffer.allocUnsafe(17 + meta.byteLength);
  aad[0] = AAD_SNAPSHOT;
  aad.writeBigUInt64LE(BigInt(term), 1);
  aad.writeBigUInt64LE(BigInt(index), 9);
  aad.set(meta, 17);
  return aad;
}

/** The total length of `parts`. */
export function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}
