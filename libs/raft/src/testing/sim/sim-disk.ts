import { MemoryStorage } from "../../core/log-storage.js";
import { type HardState, type Ready, EMPTY_HARD_STATE, NONE } from "../../core/types.js";
import { persistedState } from "../../storage/storage-rules.js";

/**
 * A node's simulated disk: the durable copy of its Raft state, which is also the stable log its core reads.
 *
 * It follows the WAL's guarantees. One Ready is ONE write of records in this order: the received snapshot (if
 * any), each entry, then the hard state, made durable by one fsync. A crash during the write keeps a PREFIX of
 * those records (a torn tail is cut off on load); a synced write that completed is never lost. A Ready that does
 * not need a sync (only the commit index moved) is written without one: a power loss may lose it, and then the
 * write in flight after it too.
 */
export class SimDisk {
  readonly storage = new MemoryStorage();
  /** The hard state as of the last fsync. */
  private synced: HardState = EMPTY_HARD_STATE;

  /** How many records writing `rd` takes. */
  static records(rd: Ready): number {
    return (rd.snapshot ? 1 : 0) + rd.entries.length + (rd.hardState ? 1 : 0);
  }

  /** The hard state as of the last fsync: what survives any crash. */
  get syncedHardState(): HardState {
    return this.synced;
  }

  /** Whether an unsynced hard state was written since the last fsync. */
  get dirty(): boolean {
    return this.synced !== this.hardState();
  }

  /** Completes writing `rd`, with its fsync when the Ready needs one. */
  complete(rd: Ready): void {
    this.write(rd);
    if (rd.mustSync) this.synced = this.hardState();
  }

  /** A power loss: the unsynced hard state is gone (only commit-index updates are ever written unsynced). */
  loseUnsynced(): void {
    const hs = this.hardState();
    if (hs.term !== this.synced.term || hs.vote !== this.synced.vote) {
      throw new Error(
        `sim: term or vote changed without a sync (${JSON.stringify(hs)} vs ${JSON.stringify(this.synced)})`,
      );
    }
    this.storage.setHardState(this.synced);
  }

  /** Writes the first `keep` records of `rd` (all of them by default); a crash mid-write calls this directly. */
  write(rd: Ready, keep = Number.POSITIVE_INFINITY): void {
    let budget = keep;
    if (rd.snapshot) {
      if (budget <= 0) return;
      this.storage.applySnapshot(rd.snapshot);
      budget--;
    }
    const n = Math.min(rd.entries.length, budget);
    if (n > 0) this.storage.append(n === rd.entries.length ? rd.entries : rd.entries.slice(0, n));
    budget -= n;
    if (n < rd.entries.length || budget <= 0 || !rd.hardState) return;
    this.storage.setHardState(rd.hardState);
  }

  /**
   * Reads the state back on restart, as the storage layer's load does: the hard state's commit is raised to the
   * snapshot index. `forgetVote` is a deliberate bug for tests: the vote is lost, so the node may vote twice.
   */
  recover(forgetVote: boolean): void {
    const snap = this.storage.snapshot();
    let { hardState } = persistedState(this.hardState(), snap.meta.index > 0 ? snap : null, [], []);
    if (forgetVote) hardState = { ...hardState, vote: NONE };
    this.storage.setHardState(hardState);
    this.synced = hardState;
  }

  /** The durable hard state. */
  hardState(): HardState {
    return this.storage.initialState().hardState;
  }

  /** The durable log's last index. */
  lastIndex(): number {
    return this.storage.lastIndex();
  }
}
