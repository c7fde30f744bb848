/**
 * The leader's view of one follower: how far its log matches, what to send next, and how much is in flight.
 */

/** How the leader is sending to a follower. */
export enum ProgressState {
  /** One append at a time, waiting for its answer, to find where the logs match. */
  Probe = "probe",
  /** Optimistic pipelining of appends, bounded by {@link Inflights}. */
  Replicate = "replicate",
  /** A snapshot is being sent; no appends until it is acknowledged. */
  Snapshot = "snapshot",
}

/**
 * A bounded window of appends in flight to one follower, by last index and size.
 * Invariant: indexes are increasing.
 */
export class Inflights {
  private readonly idx: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  add(index: number, bytes: number): void {
    this.idx.push(index);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every in-flight append whose last index is <= `to`. */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.idx.length && (this.idx[n] as number) <= to) {
      this.bytes -= this.sizes[n] as number;
      n++;
    }
    if (n > 0) {
      this.idx.splice(0, n);
      this.sizes.splice(0, n);
    }
  }

  /** Frees the oldest append (a heartbeat answer shows the follower is alive while the window was full). */
  freeFirstOne(): void {
    if (this.idx.length > 0) this.freeLE(this.idx[0] as number);
  }

  full(): boolean {
    return this.idx.length >= this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  get count(): number {
    return this.idx.length;
  }

  reset(): void {
    this.idx.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}

/** Invariant: match < next. */
export class Progress {
  state = ProgressState.Probe;
  /** In Probe state: an append was sent and we wait for its answer or the next heartbeat answer. */
  probeSent = false;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(
    public match: number,
    public next: number,
    public isLearner: boolean,
    maxInflight: number,
    maxInflightBytes: number,
  ) {
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume right after the snapshot, or after what the follower has, whichever is further.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records an acknowledgement of entries up to `n`; returns whether `match` moved. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Pipelining: entries up to `n` were sent, assume they will be accepted. */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /**
   * Handles a rejected append of entries after `rejected`; `matchHint` is where the follower suggests we probe.
   * Returns false if the rejection is stale (an older message) and must be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold off sending appends to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
