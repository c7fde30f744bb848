import type { Cluster } from "@shoal/api";

/**
 * What the API knows of consensus on this manager, as plain data: who leads, the members, whom this manager
 * heard from lately, and (on the leader) each member's match index. The daemon takes it from Raft's status;
 * tests write it by hand.
 */
export interface RaftView {
  /** This manager's Raft id. */
  readonly id: number;
  /** The known leader's Raft id; 0 when none is known. */
  readonly leaderId: number;
  readonly term: number;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Members this manager heard from lately, itself included. */
  readonly reachable: ReadonlySet<number>;
  /** No leader for longer than a few elections: a majority is likely unreachable. */
  readonly noQuorum: boolean;
  /** Leader only: each member's match index (the last entry it is known to hold). */
  readonly match?: ReadonlyMap<number, number>;
}

/** The managers the cluster object lists (API addresses by Raft id). */
export type Managers = Cluster["managers"];

/** Managers needed for reads and writes: a majority of the voters. */
export const quorumOf = (view: RaftView): number => Math.floor(view.voters.length / 2) + 1;

/** A single manager that always leads: the view of tests and of a store on LocalConsensus. */
export function soloView(leader: boolean): RaftView {
  const view: RaftView = {
    id: 1,
    leaderId: leader ? 1 : 0,
    term: 1,
    commitIndex: 0,
    lastIndex: 0,
    voters: [1],
    learners: [],
    reachable: new Set([1]),
    noQuorum: false,
  };
  return leader ? { ...view, match: new Map([[1, 0]]) } : view;
}

/** `2 at 10.0.0.2:7070`: a manager by Raft id and, when known, API address. */
export function managerLabel(managers: Managers, id: number): string {
  const addr = managers.find((m) => m.raftId === id)?.apiAddr;
  return `${id}${addr ? ` at ${addr}` : ""}`;
}
