/**
 * When a node renews a certificate (docs/design/trust.md §4.8), as pure functions of its validity, the time
 * and a random number: nodes spread their renewals over the middle of the validity (as swarmkit does), so a
 * cluster whose nodes joined together does not renew all at once.
 */

/** The share of the validity before which no renewal is planned. */
export const RENEW_FROM = 0.5;
/** The share of the validity by which a renewal is planned at the latest. */
export const RENEW_BY = 0.8;
/** Below this share of validity left, a node renews at once (at start, or after a long pause). */
export const RENEW_NOW_BELOW = 0.2;

/**
 * The time to renew a certificate valid from `validFrom` to `validTo`: a point in [50 %, 80 %] of its
 * validity, placed by `random()` in [0, 1) (`Math.random` outside tests).
 */
export function nextRenewal(validFrom: Date, validTo: Date, random: () => number): Date {
  const span = validTo.getTime() - validFrom.getTime();
  const r = Math.min(Math.max(random(), 0), 1);
  return new Date(validFrom.getTime() + span * (RENEW_FROM + (RENEW_BY - RENEW_FROM) * r));
}

/** Whether to renew at once: less than 20 % of the validity is left at `now` (or it has expired). */
export function mustRenewNow(validFrom: Date, validTo: Date, now: Date): boolean {
  const span = validTo.getTime() - validFrom.getTime();
  return validTo.getTime() - now.getTime() < span * RENEW_NOW_BELOW;
}
