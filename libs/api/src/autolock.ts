import { z } from "zod";

/**
 * Autolock's requests (docs/design/trust.md §4.9). The CLI makes the unlock key (`SHLKEY-1-<id>-<secret>`, see
 * `@shoal/trust`'s unlock-key.ts, which this browser-safe package does not import) and sends it here; the leader
 * keeps it in the cluster's secrets, where every manager reads it to wrap its data key. No answer holds it.
 */

/** An unlock key's text: `SHLKEY-1-` then an 8-character id and a 50-character secret, base 36. */
export const UnlockKeySchema = z
  .string()
  .trim()
  .regex(
    /^SHLKEY-1-[0-9a-z]{8}-[0-9a-z]{50}$/,
    "give the whole unlock key Shoal printed (SHLKEY-1-<8 characters>-<50 characters>)",
  );

/** Turn autolock on with a new unlock key, or off. */
export const AutolockRequestSchema = z.discriminatedUnion("enabled", [
  z.object({ enabled: z.literal(true), unlockKey: UnlockKeySchema }),
  z.object({ enabled: z.literal(false) }),
]);
export type AutolockRequest = z.infer<typeof AutolockRequestSchema>;

/** Replace the unlock key while autolock is on. */
export const UnlockKeyRotateSchema = z.object({ unlockKey: UnlockKeySchema });

/** Unlock a locked manager (on its local socket). */
export const UnlockRequestSchema = z.object({ unlockKey: UnlockKeySchema });
export type UnlockRequest = z.infer<typeof UnlockRequestSchema>;
