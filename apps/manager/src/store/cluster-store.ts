import {
  encodeEntry,
  outcomeError,
  StoreMachine,
  type ApplyOutcome,
  type Command,
  type StoreEvent,
  type StoreState,
} from "@shoal/store";

/** What the store needs of consensus: Raft in the daemon, `LocalConsensus` in tests. */
export interface Consensus {
  /** Appends an entry; resolves with the state machine's outcome once applied here. Throws NotLeaderError etc. */
  readonly propose: (data: Uint8Array) => Promise<ApplyOutcome>;
  /**
   * Resolves once this member applied everything committed before the call (linearizable reads); fails
   * (NotLeaderError, NoQuorumError, TimeoutError) when that cannot be known within `timeoutMs`.
   */
  readonly readBarrier: (timeoutMs?: number) => Promise<number>;
  readonly isLeader: () => boolean;
}

/** How a read is served: linearizable (default) within `timeoutMs`, or `stale` from local state. */
export interface ReadOptions {
  readonly stale?: boolean;
  readonly timeoutMs?: number;
}

/**
 * The managers' view of the replicated store: writes are proposed through consensus and applied on every
 * manager; reads are local, after a read barrier when they must be linearizable. A write that a store rule
 * refuses throws that rule's typed error (NotFound, AlreadyExists, VersionConflict) and changes nothing.
 */
export class ClusterStore {
  constructor(
    readonly machine: StoreMachine,
    private readonly consensus: Consensus,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The local state, as applied so far (may lag the leader on a follower; see `read`). */
  get state(): StoreState {
    return this.machine.state;
  }

  /** Commits a batch of commands, all or nothing; resolves with its events once applied here. */
  async write(commands: readonly Command[]): Promise<StoreEvent[]> {
    if (commands.length === 0) return [];
    const outcome = await this.consensus.propose(
      encodeEntry({ time: new Date(this.clock()).toISOString(), commands: [...commands] }),
    );
    if (!outcome.ok) throw outcomeError(outcome);
    return outcome.events;
  }

  /**
   * The state after a read barrier: reflects every write acknowledged before the call. With `stale`, the local
   * state at once, without asking the leader (answers without quorum; may miss recent writes).
   */
  async read(o: ReadOptions = {}): Promise<StoreState> {
    if (!o.stale) await this.consensus.readBarrier(o.timeoutMs);
    return this.machine.state;
  }

  isLeader(): boolean {
    return this.consensus.isLeader();
  }

  watch(fn: (events: StoreEvent[]) => void): () => void {
    return this.machine.watch(fn);
  }
}

/**
 * Consensus of one process with no log: every proposal is applied at once, in order. The in-memory twin of
 * Raft for tests of the control loops, the dispatcher and the API.
 */
export class LocalConsensus implements Consensus {
  private index = 0;
  leader = true;
  constructor(private readonly machine: StoreMachine) {}
  readonly propose = (data: Uint8Array): Promise<ApplyOutcome> => {
    if (!this.leader) return Promise.reject(new Error("local consensus: not the leader"));
    return Promise.resolve(this.machine.apply(data, ++this.index));
  };
  readonly readBarrier = (): Promise<number> => Promise.resolve(this.index);
  readonly isLeader = (): boolean => this.leader;
}

/** A store on LocalConsensus, for tests. */
export function memoryClusterStore(clock?: () => number): ClusterStore {
  const machine = new StoreMachine();
  return new ClusterStore(machine, new LocalConsensus(machine), clock);
}
