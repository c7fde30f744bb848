import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Dashboard access tokens (docs/design/trust.md §4.6): 32 random bytes, made where the user's bundle is made
 * (`cluster init`, `cluster user create`); the store keeps only their SHA-256, so neither the store nor an API
 * answer can give one back.
 */

/** The prefix that makes an access token recognisable (in a file, in a leak scanner's rules). */
export const ACCESS_TOKEN_PREFIX = "shoal_at_";

/** A new access token: the prefix and 32 random bytes, base64url. */
export function newAccessToken(random: (n: number) => Uint8Array = randomBytes): string {
  return ACCESS_TOKEN_PREFIX + Buffer.from(random(32)).toString("base64url");
}

/** The SHA-256 of an access token (hex), as the store keeps it. */
export function accessTokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `token` hashes to `hash`, compared in constant time (the hash's length is public). */
export function accessTokenMatches(token: string, hash: string): boolean {
  const got = Buffer.from(accessTokenHash(token), "hex");
  const want = Buffer.from(hash, "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}
