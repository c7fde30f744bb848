import { timingSafeEqual } from "node:crypto";
import type { User } from "@shoal/api";
import { accessTokenHash } from "@shoal/trust";

/** A hash no token has, compared against in place of a user's missing or malformed one (same work). */
const NO_HASH = Buffer.alloc(32, 0xff);

/**
 * The user whose access token `token` is, or undefined (docs/design/trust.md §4.6). The token's SHA-256 is
 * compared in constant time with every user's stored hash, the matching one included: the time taken depends
 * on the number of users only, never on which one matched, or how much of a hash a guess got right. Pure.
 */
export function userOfAccessToken(users: readonly User[], token: string): User | undefined {
  const got = Buffer.from(accessTokenHash(token), "hex");
  let found: User | undefined;
  for (const user of users) {
    const stored = user.accessTokenHash === undefined ? NO_HASH : Buffer.from(user.accessTokenHash, "hex");
    const want = stored.length === got.length ? stored : NO_HASH;
    // No early exit: every user is compared, and a later match does not replace an earlier one.
    const match = timingSafeEqual(got, want) && want !== NO_HASH;
    if (match && found === undefined) found = user;
  }
  return found;
}
