import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Key envelopes of autolock (docs/design/trust.md §4.9): a key (the manager's data key) sealed with AES-256-GCM
 * under a key-encryption key derived from the cluster's unlock key with HKDF-SHA256 (a random 128-bit salt per
 * envelope, info `shoal-kek:<clusterId>`, so one unlock key gives each cluster its own KEK). The associated data
 * names what the envelope holds (the data key's id and the unlock key's id), so an envelope moved to another
 * field or file does not open. Pure: the random source is a parameter.
 */

/** The one algorithm this build writes and reads. */
export const ENVELOPE_ALG = "hkdf-sha256/aes-256-gcm";

/** A sealed key as keys.json stores it; the byte fields are base64. */
export interface KeyEnvelope {
  readonly alg: typeof ENVELOPE_ALG;
  /** HKDF salt, 16 bytes. */
  readonly salt: string;
  /** AES-GCM nonce, 12 bytes. */
  readonly nonce: string;
  /** The ciphertext followed by the 16-byte GCM tag. */
  readonly data: string;
}

/** What seals and opens an envelope: the unlock key's secret, the cluster and what the envelope is bound to. */
export interface EnvelopeKey {
  /** The unlock key's 256-bit secret. */
  readonly secret: Uint8Array;
  /** The cluster's id: HKDF's info is `shoal-kek:<clusterId>`. */
  readonly clusterId: string;
  /** Associated data: what the envelope holds (checked on opening, not stored). */
  readonly aad: string;
}

const TAG_BYTES = 16;

/** The key-encryption key: HKDF-SHA256 of the unlock key's secret with `salt`, info `shoal-kek:<clusterId>`. */
export function deriveKek(secret: Uint8Array, clusterId: string, salt: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, salt, `shoal-kek:${clusterId}`, 32));
}

/** Seals `plain` under `key` (a fresh salt and nonce from `random` each time). */
export function sealKey(
  plain: Uint8Array,
  key: EnvelopeKey,
  random: (n: number) => Uint8Array = randomBytes,
): KeyEnvelope {
  const salt = Buffer.from(random(16));
  const nonce = Buffer.from(random(12));
  const cipher = createCipheriv("aes-256-gcm", deriveKek(key.secret, key.clusterId, salt), nonce);
  cipher.setAAD(Buffer.from(key.aad, "utf8"));
  const data = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    alg: ENVELOPE_ALG,
    salt: salt.toString("base64"),
    nonce: nonce.toString("base64"),
    data: data.toString("base64"),
  };
}

/**
 * Opens an envelope: the key it holds, or undefined when `key` is not the one it was sealed with (another unlock
 * key, another cluster, other associated data) or the envelope was changed. A malformed envelope throws.
 */
export function openKey(envelope: KeyEnvelope, key: EnvelopeKey): Buffer | undefined {
  if (envelope.alg !== ENVELOPE_ALG) throw new Error(`keys: unknown envelope algorithm ${String(envelope.alg)}`);
  const salt = Buffer.from(envelope.salt, "base64");
  const nonce = Buffer.from(envelope.nonce, "base64");
  const data = Buffer.from(envelope.data, "base64");
  if (salt.length !== 16 || nonce.length !== 12 || data.length <= TAG_BYTES)
    throw new Error("keys: malformed envelope (salt, nonce or data of the wrong length)");
  const decipher = createDecipheriv("aes-256-gcm", deriveKek(key.secret, key.clusterId, salt), nonce);
  decipher.setAAD(Buffer.from(key.aad, "utf8"));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Whether `v` has the shape of an envelope (its fields are checked when it is opened). */
export function isKeyEnvelope(v: unknown): v is KeyEnvelope {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    e.alg === ENVELOPE_ALG && typeof e.salt === "string" && typeof e.nonce === "string" && typeof e.data === "string"
  );
}
