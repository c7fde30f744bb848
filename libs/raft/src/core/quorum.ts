import type { NodeId } from "./types.js";

/** The outcome of a vote count. */
export enum VoteResult {
  Pending = "pending",
  Won = "won",
  Lost = "lost",
}

/** The number of voters that make a majority of `n`. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The highest index that a majority of `voters` has acknowledged, given each voter's match index
 * (a voter missing from `match` counts as 0).
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER;
  const idx = voters.map(match).sort((a, b) => b - a);
  return idx[majority(voters.length) - 1] as number;
}

/** Counts granted and rejected votes among `voters`. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = majority(voters.length);
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
