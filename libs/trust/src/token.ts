import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual, X509Certificate } from "node:crypto";
import { InvalidTokenError } from "./errors.js";
import type { RandomBytes } from "./profile.js";

/**
 * Join tokens: `SHLTKN-1-<digest>-<secret>` (docs/design/trust.md §4.5). `<digest>` is the SHA-256 of the
 * cluster root certificate's DER and `<secret>` 128 random bits, each written as one big-endian unsigned number
 * in base 36 (digits then lower-case letters), left-padded with zeros to a fixed width: 50 characters for the
 * digest (36^50 > 2^256), 25 for the secret (36^25 > 2^128). Base 36 keeps the token one word for a double
 * click and a shell, with no case to get wrong. A joining node reads the root from the manager's TLS handshake
 * and sends the secret only to a manager presenting the root the digest names.
 */

/** The first part of every join token. */
export const TOKEN_PREFIX = "SHLTKN";
/** The token format version this code writes and reads. */
export const TOKEN_VERSION = 1;
/** Bytes of the root digest (SHA-256). */
export const DIGEST_BYTES = 32;
/** Bytes of the secret (128 bits). */
export const SECRET_BYTES = 16;
/** Base-36 characters of the digest. */
export const DIGEST_CHARS = 50;
/** Base-36 characters of the secret. */
export const SECRET_CHARS = 25;

/** A parsed join token. */
export interface JoinToken {
  /** SHA-256 of the root certificate's DER. */
  readonly caDigest: Uint8Array;
  /** The join secret (which role it admits is the managers' to know). */
  readonly secret: Uint8Array;
}

/** `bytes` as a big-endian number in base 36, left-padded with zeros to `width` characters. */
export function toBase36(bytes: Uint8Array, width: number): string {
  const n = bytes.length ? BigInt(`0x${Buffer.from(bytes).toString("hex")}`) : 0n;
  return n.toString(36).padStart(width, "0");
}

/** The inverse of {@link toBase36}: `bytes` bytes, or undefined when the text is not base 36 or too large. */
export function fromBase36(text: string, bytes: number): Uint8Array | undefined {
  if (!/^[0-9a-z]+$/.test(text)) return undefined;
  let n = 0n;
  for (const ch of text) n = n * 36n + BigInt(parseInt(ch, 36));
  const hex = n.toString(16);
  if (hex.length > bytes * 2) return undefined;
  return Uint8Array.from(Buffer.from(hex.padStart(bytes * 2, "0"), "hex"));
}

/** SHA-256 of a root certificate's DER: what a join token pins. Takes a Node certificate, PEM, or DER. */
export function rootDigest(root: X509Certificate | string | Uint8Array): Uint8Array {
  const der =
    root instanceof X509Certificate ? root.raw : typeof root === "string" ? new X509Certificate(root).raw : root;
  return Uint8Array.from(createHash("sha256").update(der).digest());
}

/** A root digest as it appears in tokens and in `shoal cluster ca` (50 base-36 characters). */
export function formatDigest(digest: Uint8Array): string {
  return toBase36(digest, DIGEST_CHARS);
}

/** A new join secret: 128 random bits. */
export function newJoinSecret(random: RandomBytes = nodeRandomBytes): Uint8Array {
  const s = Uint8Array.from(random(SECRET_BYTES).subarray(0, SECRET_BYTES));
  if (s.length !== SECRET_BYTES) throw new RangeError(`random gave ${s.length} bytes, ${SECRET_BYTES} needed`);
  return s;
}

/** A token's text. */
export function formatJoinToken(token: JoinToken): string {
  if (token.caDigest.length !== DIGEST_BYTES) throw new RangeError(`the CA digest must be ${DIGEST_BYTES} bytes`);
  if (token.secret.length !== SECRET_BYTES) throw new RangeError(`the secret must be ${SECRET_BYTES} bytes`);
  return `${TOKEN_PREFIX}-${TOKEN_VERSION}-${formatDigest(token.caDigest)}-${toBase36(token.secret, SECRET_CHARS)}`;
}

/**
 * Parses a token's text (surrounding white space is ignored); throws an InvalidTokenError whose `problem` and
 * message name the part that is wrong. The text is never echoed whole, as it may be a real secret.
 */
export function parseJoinToken(text: string): JoinToken {
  const parts = text.trim().split("-");
  if (parts[0] !== TOKEN_PREFIX) throw new InvalidTokenError("prefix", `it must start with ${TOKEN_PREFIX}-`);
  if (parts[1] !== String(TOKEN_VERSION)) {
    throw new InvalidTokenError(
      "version",
      `version ${JSON.stringify(parts[1] ?? "")} is not ${TOKEN_VERSION}; this Shoal reads ${TOKEN_PREFIX}-${TOKEN_VERSION}- tokens`,
    );
  }
  if (parts.length !== 4) {
    throw new InvalidTokenError(
      "shape",
      `it has ${parts.length} parts separated by '-', a token has 4 (${TOKEN_PREFIX}-${TOKEN_VERSION}-<CA digest>-<secret>)`,
    );
  }
  const [, , digestText = "", secretText = ""] = parts;
  const caDigest = partOf("digest", "the CA digest (third part)", digestText, DIGEST_CHARS, DIGEST_BYTES);
  const secret = partOf("secret", "the secret (fourth part)", secretText, SECRET_CHARS, SECRET_BYTES);
  return { caDigest, secret };
}

/** One base-36 part of a token as bytes; throws naming what is wrong with it. */
function partOf(problem: "digest" | "secret", what: string, text: string, chars: number, bytes: number): Uint8Array {
  if (!/^[0-9a-z]*$/.test(text)) {
    throw new InvalidTokenError(problem, `${what} may hold only 0-9 and a-z (lower case)`);
  }
  if (text.length !== chars) {
    throw new InvalidTokenError(problem, `${what} must be ${chars} characters, it has ${text.length}`);
  }
  const value = fromBase36(text, bytes);
  if (!value) throw new InvalidTokenError(problem, `${what} is larger than ${bytes * 8} bits`);
  return value;
}

/**
 * Whether two secrets (or digests) are equal, in time independent of where they differ: both are hashed with
 * SHA-256 first, so inputs of different lengths compare too, without revealing the length of either.
 */
export function secretsEqual(a: Uint8Array, b: Uint8Array): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
