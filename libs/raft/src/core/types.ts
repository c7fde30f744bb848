/**
 * Wire and storage types of the Raft core. Everything here is plain data: the core exchanges these values with
 * its driver, the WAL persists them and the transport carries them.
 */

/** A node's id. Positive integer below 2^53, unique for the cluster's whole life: ids are never reused. */
export type NodeId = number;

/** No node: used for "no vote" and "no leader". */
export const NONE: NodeId = 0;

/** Kinds of log entries. */
export enum EntryType {
  /** Application command (or the empty no-op a new leader appends: `data.length === 0`). */
  Normal = 0,
  /** A membership change; `data` is an encoded {@link ConfChange}. */
  ConfChange = 1,
}

/** One log entry. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** The state that must be on stable storage before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

/**
 * The cluster's membership as of some log index. `removed` remembers every id that ever left, so that a
 * removed node's messages are ignored and its id is never admitted again.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly removed: readonly NodeId[];
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({ voters: [], learners: [], removed: [] });

/** Kinds of single-step membership changes. */
export enum ConfChangeType {
  /** Add a voter, or promote a learner to voter. */
  AddVoter = 0,
  /** Add a non-voting learner that receives the log. */
  AddLearner = 1,
  /** Remove a voter or learner. Its id is retired for good. */
  RemoveNode = 2,
}

/** A membership change carried by an {@link EntryType.ConfChange} entry. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque context for the application (for example the new member's address). */
  readonly context: Uint8Array;
}

/** Where a snapshot sits in the log, and the membership it captures. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

/** A snapshot of the application's state machine up to and including `meta.index`. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT_META: SnapshotMeta = Object.freeze({ index: 0, term: 0, conf: EMPTY_CONF_STATE });

/** Message types. Local ones never cross the network; the driver feeds them to its own core. */
export enum MessageType {
  /** Local: start an election (sent by the core to itself on election timeout, or by the driver). */
  Hup = 0,
  /** Local: leader's heartbeat tick. */
  Beat = 1,
  /** A proposal; followers forward it to the leader. */
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  PreVote = 7,
  PreVoteResp = 8,
  Snap = 9,
  Heartbeat = 10,
  HeartbeatResp = 11,
  /** Local: the transport could not deliver to `from`. */
  Unreachable = 12,
  /** Local: the transport finished (or failed) sending a snapshot to `from`; `reject` marks failure. */
  SnapStatus = 13,
  /** Local: leader's check-quorum tick. */
  CheckQuorum = 14,
  /** Transfer leadership to `from` (as in etcd: the transferee is named in `from`). */
  TransferLeader = 15,
  /** Leader tells the transferee to campaign now. */
  TimeoutNow = 16,
  ReadIndex = 17,
  ReadIndexResp = 18,
}

/** Whether a message type is only ever stepped locally. */
export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus ||
    t === MessageType.CheckQuorum
  );
}

/** Whether a message type is a response (it never starts a term change on its own). */
export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable ||
    t === MessageType.PreVoteResp
  );
}

/**
 * A Raft message. One flat shape for every type, as in etcd; fields a type does not use are 0 or empty.
 * - `index`/`logTerm`: for App, the entry before `entries`; for Vote/PreVote, the candidate's last entry;
 *   for AppResp, the index acknowledged (or rejected).
 * - `commit`: the sender's commit index (App, Heartbeat).
 * - `reject`/`rejectHint`: a rejected App, with the follower's hint of where to probe next.
 * - `context`: opaque bytes; ReadIndex request ids, "forced" campaigns during leadership transfer.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly snapshot: Snapshot | null;
  readonly context: Uint8Array;
}

const EMPTY_BYTES = new Uint8Array(0);

/** Builds a message, filling unused fields with zero values. */
export function msg(m: Partial<Message> & Pick<Message, "type">): Message {
  return {
    from: NONE,
    to: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: EMPTY_BYTES,
    ...m,
  };
}

/** The role a node plays in its current term. */
export enum Role {
  Follower = "follower",
  PreCandidate = "pre-candidate",
  Candidate = "candidate",
  Leader = "leader",
}

/** Volatile state that the driver may want to observe; it is not persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/** The result of a linearizable read request: reads at or after `index` are safe once `index` is applied. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * One batch of work for the driver. Order of handling:
 * 1. persist `snapshot` (if any), `entries` and `hardState` (fsync once when `mustSync`);
 * 2. only then send `messages`;
 * 3. apply `snapshot` and then `committedEntries` to the state machine; answer `readStates` once applied;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Whether the batch changes durable state (new entries, term, vote or snapshot) and needs an fsync. */
  readonly mustSync: boolean;
  /**
   * Whether `messages` may be sent while this batch is still being persisted, instead of after. True only for
   * a leader whose term and vote this batch does not change: its messages (appends, heartbeats, snapshots,
   * answers to reads) depend on nothing unpersisted, so it replicates new entries to followers while writing
   * them to its own disk (Raft thesis, section 10.2.1). The leader counts itself towards a commit quorum only
   * once its write is acknowledged by `advance`, so an entry is still never committed before a majority
   * holds it durably. Messages of every other batch (votes, a follower's acknowledgements) MUST wait.
   */
  readonly earlyMessages: boolean;
}

/** Approximate size of an entry in bytes, for batching limits. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 24;
}
