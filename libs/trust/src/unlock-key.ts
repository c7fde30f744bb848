import { randomBytes as nodeRandomBytes } from "node:crypto";
import { InvalidUnlockKeyError, type UnlockKeyProblem } from "./errors.js";
import type { RandomBytes } from "./profile.js";
import { fromBase36, toBase36 } from "./token.js";

/**
 * Unlock keys of autolock (docs/design/trust.md §4.9): `SHLKEY-1-<id>-<secret>`. `<id>` is 40 random bits in 8
 * base-36 characters, which names the key in messages and files (a locked manager says which key it waits
 * for) and says nothing of the secret; `<secret>` is 256 random bits in 50 base-36 characters. Written like join
 * tokens: one word, lower case, fixed width. The CLI makes a key, prints it once and sends it to the leader;
 * no route gives it back.
 */

/** The first part of every unlock key. */
export const UNLOCK_KEY_PREFIX = "SHLKEY";
/** The unlock key format version this code writes and reads. */
export const UNLOCK_KEY_VERSION = 1;
/** Bytes of an unlock key's id. */
export const UNLOCK_KEY_ID_BYTES = 5;
/** Base-36 characters of an unlock key's id (36^8 > 2^40). */
export const UNLOCK_KEY_ID_CHARS = 8;
/** Bytes of an unlock key's secret (256 bits). */
export const UNLOCK_KEY_BYTES = 32;
/** Base-36 characters of an unlock key's secret (36^50 > 2^256). */
export const UNLOCK_KEY_CHARS = 50;

/** The text form of an unlock key, as a pattern (for request schemas). */
export const UNLOCK_KEY_PATTERN = new RegExp(
  `^${UNLOCK_KEY_PREFIX}-${UNLOCK_KEY_VERSION}-[0-9a-z]{${UNLOCK_KEY_ID_CHARS}}-[0-9a-z]{${UNLOCK_KEY_CHARS}}$`,
);

/** A parsed unlock key. */
export interface UnlockKey {
  /** Its id, 8 base-36 characters. */
  readonly id: string;
  /** Its 256-bit secret. */
  readonly secret: Uint8Array;
}

/** A new unlock key: a random id and 256 random bits. */
export function newUnlockKey(random: RandomBytes = nodeRandomBytes): UnlockKey {
  const id = Uint8Array.from(random(UNLOCK_KEY_ID_BYTES).subarray(0, UNLOCK_KEY_ID_BYTES));
  const secret = Uint8Array.from(random(UNLOCK_KEY_BYTES).subarray(0, UNLOCK_KEY_BYTES));
  if (id.length !== UNLOCK_KEY_ID_BYTES || secret.length !== UNLOCK_KEY_BYTES)
    throw new RangeError("random gave fewer bytes than an unlock key needs");
  return { id: toBase36(id, UNLOCK_KEY_ID_CHARS), secret };
}

/** An unlock key's text. */
export function formatUnlockKey(key: UnlockKey): string {
  if (!/^[0-9a-z]{8}$/.test(key.id)) throw new RangeError("an unlock key's id is 8 base-36 characters");
  if (key.secret.length !== UNLOCK_KEY_BYTES) throw new RangeError(`the secret must be ${UNLOCK_KEY_BYTES} bytes`);
  return `${UNLOCK_KEY_PREFIX}-${UNLOCK_KEY_VERSION}-${key.id}-${toBase36(key.secret, UNLOCK_KEY_CHARS)}`;
}

/**
 * Parses an unlock key's text (white space around it is ignored); throws an InvalidUnlockKeyError naming the
 * part that is wrong, never echoing the text.
 */
export function parseUnlockKey(text: string): UnlockKey {
  const bad = (problem: UnlockKeyProblem, detail: string) => new InvalidUnlockKeyError(problem, detail);
  const parts = text.trim().split("-");
  if (parts[0] !== UNLOCK_KEY_PREFIX) throw bad("prefix", `it must start with ${UNLOCK_KEY_PREFIX}-`);
  if (parts[1] !== String(UNLOCK_KEY_VERSION))
    throw bad("version", `version ${JSON.stringify(parts[1] ?? "")} is not ${UNLOCK_KEY_VERSION}`);
  if (parts.length !== 4)
    throw bad("shape", `it has ${parts.length} parts separated by '-', an unlock key has 4 (SHLKEY-1-<id>-<secret>)`);
  const [, , id = "", secretText = ""] = parts;
  if (!/^[0-9a-z]*$/.test(id) || id.length !== UNLOCK_KEY_ID_CHARS)
    throw bad("id", `the id (third part) must be ${UNLOCK_KEY_ID_CHARS} characters of 0-9 and a-z`);
  if (!fromBase36(id, UNLOCK_KEY_ID_BYTES)) throw bad("id", "the id (third part) is larger than 40 bits");
  if (!/^[0-9a-z]*$/.test(secretText) || secretText.length !== UNLOCK_KEY_CHARS)
    throw bad("secret", `the secret (fourth part) must be ${UNLOCK_KEY_CHARS} characters of 0-9 and a-z`);
  const secret = fromBase36(secretText, UNLOCK_KEY_BYTES);
  if (!secret) throw bad("secret", "the secret (fourth part) is larger than 256 bits");
  return { id, secret };
}
