import { majority } from "../../core/quorum.js";
import { type Entry, type Message, type NodeId, MessageType, Role } from "../../core/types.js";
import { LogMatchIndex, entryHash } from "./log-matching.js";
import { type InvariantName, InvariantViolation } from "./sim-failure.js";
import type { SimNode } from "./sim-node.js";

interface Committed {
  readonly term: number;
  /** The term of the node that first showed it committed: every leader of a later term must hold it. */
  readonly seenAtTerm: number;
}

interface Track {
  inc: number;
  commit: number;
  applied: number;
  /** The highest commit index shown by any incarnation (commits below it were already recorded). */
  commitSeen: number;
  /** The term in which this incarnation was last seen leading (its log was checked then). */
  leaderTerm: number;
  durableCommit: number;
}

/**
 * The safety properties of Raft, checked after every event of a run (see each check's message):
 * election safety, one vote per term, log matching, leader completeness, state-machine safety, monotonic
 * commit and applied indexes, and a durable commit index never ahead of the durable log.
 */
export class InvariantChecker {
  private readonly leaders = new Map<number, NodeId>();
  private readonly votes = new Map<string, NodeId>();
  private readonly logs = new LogMatchIndex();
  private readonly committed = new Map<number, Committed>();
  private readonly applied = new Map<number, { term: number; hash: number }>();
  private readonly snapshots = new Map<number, string>();
  private readonly tracks = new Map<NodeId, Track>();
  /** Entries 1..n at term 1 are the bootstrap membership: committed by definition, before any write. */
  private bootstrapEntries = 0;

  /** `skip` names checks to leave out (to show that the others still catch a broken driver). */
  constructor(private readonly skip: ReadonlySet<InvariantName> = new Set()) {}

  private violate(name: InvariantName, detail: string): void {
    if (!this.skip.has(name)) throw new InvariantViolation(name, detail);
  }

  /** Records that the cluster was bootstrapped with `n` initial members. */
  bootstrapped(n: number): void {
    this.bootstrapEntries = n;
  }

  /** The number of distinct (term, leader) pairs seen. */
  get elections(): number {
    return this.leaders.size;
  }

  private track(id: NodeId): Track {
    let t = this.tracks.get(id);
    if (!t) {
      t = { inc: -1, commit: 0, applied: 0, commitSeen: 0, leaderTerm: 0, durableCommit: 0 };
      this.tracks.set(id, t);
    }
    return t;
  }

  /** A message leaves a node: a node grants its vote to at most one candidate per term. */
  onSend(m: Message): void {
    if (m.type !== MessageType.VoteResp || m.reject) return;
    const key = `${m.from}:${m.term}`;
    const prev = this.votes.get(key);
    if (prev === undefined) this.votes.set(key, m.to);
    else if (prev !== m.to) {
      this.violate("vote-once", `node ${m.from} voted for ${prev} and for ${m.to} in term ${m.term}`);
    }
  }

  /** A node applies `e`: no two nodes apply different entries at one index. */
  onApply(node: SimNode, e: Entry): void {
    const hash = entryHash(e);
    const prev = this.applied.get(e.index);
    if (!prev) this.applied.set(e.index, { term: e.term, hash });
    else if (prev.term !== e.term || prev.hash !== hash) {
      this.violate(
        "state-machine-safety",
        `node ${node.id} applies ${e.index}@term ${e.term}, another node applied ${e.index}@term ${prev.term}`,
      );
    }
  }

  /** A node snapshotted (or installed) its state machine at `index`: all states at one index are equal. */
  onSnapshot(node: SimNode, index: number, data: Uint8Array): void {
    const s = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
    const prev = this.snapshots.get(index);
    if (prev === undefined) this.snapshots.set(index, s);
    else if (prev !== s) {
      this.violate("state-machine-safety", `node ${node.id}'s state at ${index} differs from another node's`);
    }
  }

  /** A node's disk changed: the durable commit index never passes the durable log; the synced one never goes back. */
  onDurable(node: SimNode): void {
    const hs = node.disk.hardState();
    const last = node.disk.lastIndex();
    if (hs.commit > last) {
      this.violate("durable-commit", `node ${node.id}: durable commit ${hs.commit} > durable last index ${last}`);
    }
    const synced = node.disk.syncedHardState.commit;
    const t = this.track(node.id);
    if (synced < t.durableCommit) {
      this.violate("durable-commit", `node ${node.id}: synced commit went from ${t.durableCommit} to ${synced}`);
    }
    t.durableCommit = synced;
  }

  /** Checks every live node after an event. */
  checkAll(nodes: ReadonlyMap<NodeId, SimNode>): void {
    const leaders: SimNode[] = [];
    const newlyCommitted: number[] = [];
    for (const n of nodes.values()) {
      const raw = n.raw;
      if (!raw) continue;
      const r = raw.raft;
      const t = this.track(n.id);
      if (t.inc !== n.inc) {
        t.inc = n.inc;
        t.commit = r.log.committed;
        t.applied = n.appliedIndex;
        t.leaderTerm = 0;
      }
      if (r.log.committed < t.commit) {
        this.violate("monotonic-commit", `node ${n.id}: commit went from ${t.commit} to ${r.log.committed}`);
      }
      if (n.appliedIndex < t.applied || n.appliedIndex > r.log.committed) {
        this.violate(
          "monotonic-applied",
          `node ${n.id}: applied went from ${t.applied} to ${n.appliedIndex} (commit ${r.log.committed})`,
        );
      }
      t.commit = r.log.committed;
      t.applied = n.appliedIndex;
      this.logs.check(n.id, r.log);
      if (r.role === Role.Leader) {
        const prev = this.leaders.get(r.term);
        if (prev === undefined) this.leaders.set(r.term, n.id);
        else if (prev !== n.id) {
          this.violate("election-safety", `nodes ${prev} and ${n.id} both lead term ${r.term}`);
        }
        leaders.push(n);
      }
      if (r.log.committed > t.commitSeen) {
        this.observeCommits(n, t.commitSeen, r.log.committed, nodes, newlyCommitted);
        t.commitSeen = r.log.committed;
      }
    }
    for (const l of leaders) {
      const t = this.track(l.id);
      const term = (l.raw as NonNullable<SimNode["raw"]>).raft.term;
      if (t.leaderTerm !== term) {
        t.leaderTerm = term;
        for (const [i, c] of this.committed) this.leaderHas(l, i, c);
      } else {
        for (const i of newlyCommitted) this.leaderHas(l, i, this.committed.get(i) as Committed);
      }
    }
  }

  private observeCommits(
    n: SimNode,
    from: number,
    to: number,
    nodes: ReadonlyMap<NodeId, SimNode>,
    out: number[],
  ): void {
    const r = (n.raw as NonNullable<SimNode["raw"]>).raft;
    let durable: SimNode[] | null = null;
    for (let i = Math.max(from + 1, r.log.firstIndex() - 1); i <= to; i++) {
      const term = r.log.term(i);
      if (term === undefined || i === 0) continue;
      const prev = this.committed.get(i);
      if (!prev) {
        this.committed.set(i, { term, seenAtTerm: r.term });
        out.push(i);
        durable ??= [...r.membership.voters].flatMap((id) => nodes.get(id) ?? []);
        this.checkDurableQuorum(n, i, term, r.membership.voters.size, durable);
      } else if (prev.term !== term) {
        this.violate("commit-safety", `node ${n.id} committed ${i}@term ${term}, earlier ${i}@term ${prev.term}`);
      }
    }
  }

  /**
   * An entry is committed only once a majority of the voters (of the configuration that committed it) hold it
   * on disk: the first node to show it committed is the leader that counted those acknowledgements.
   */
  private checkDurableQuorum(n: SimNode, i: number, term: number, voters: number, nodes: readonly SimNode[]): void {
    if (term === 1 && i <= this.bootstrapEntries) return;
    let have = 0;
    for (const v of nodes) {
      const s = v.disk.storage;
      const snap = s.snapshot().meta.index;
      if (i < snap || (i >= s.firstIndex() - 1 && i <= s.lastIndex() && s.term(i) === term)) have++;
    }
    if (have < majority(voters)) {
      this.violate(
        "durable-quorum",
        `node ${n.id} committed ${i}@term ${term}, but only ${have} of ${voters} voters have it on disk`,
      );
    }
  }

  /** Leader completeness: a leader of a term after the one an entry was seen committed in holds that entry. */
  private leaderHas(l: SimNode, i: number, c: Committed): void {
    const r = (l.raw as NonNullable<SimNode["raw"]>).raft;
    if (r.term <= c.seenAtTerm || i < r.log.firstIndex() - 1) return;
    const term = r.log.term(i);
    if (term !== c.term) {
      this.violate(
        "leader-completeness",
        `leader ${l.id} of term ${r.term} has ${term === undefined ? "no entry" : `term ${term}`} at ${i}, ` +
          `which was committed with term ${c.term} (seen at term ${c.seenAtTerm})`,
      );
    }
  }
}
