/** What the leader knows of the voters: who they are and which it has heard from recently. */
export interface VoterView {
  readonly voters: readonly number[];
  /** Voters the leader reached recently (itself included). */
  readonly reachable: readonly number[];
}

/**
 * Whether removing `id` from the voters keeps a working quorum. Pure. Refuses removing the last voter, and a
 * removal after which the reachable voters are no majority of the voters left (the cluster would stop taking
 * writes); says why and what to do.
 */
export function checkRemoval(v: VoterView, id: number): { ok: true } | { ok: false; reason: string; hint: string } {
  if (!v.voters.includes(id)) return { ok: true };
  const left = v.voters.filter((x) => x !== id);
  if (left.length === 0) {
    return {
      ok: false,
      reason: "it is the last manager: the cluster would have none",
      hint: "add another manager first (`shoal cluster join` with the manager token)",
    };
  }
  const up = left.filter((x) => v.reachable.includes(x)).length;
  const majority = Math.floor(left.length / 2) + 1;
  if (up < majority) {
    return {
      ok: false,
      reason: `the ${left.length} managers left would have ${up} reachable, and a majority of ${majority} is needed to take writes`,
      hint: "bring the unreachable managers back first, or pass force=true (--force) to remove it anyway",
    };
  }
  return { ok: true };
}
