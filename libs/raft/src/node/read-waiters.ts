import { ByteWriter } from "../codec/bytes.js";
import type { NodeId, ReadState } from "../core/types.js";
import { contextKey } from "../core/read-only.js";
import { StoppedError } from "../errors.js";
import { type Waiter, waiter } from "./waiters.js";

interface PendingRead {
  readonly ctx: Uint8Array;
  readonly w: Waiter<number>;
  /** The read index once the leader confirmed it; -1 while unanswered. */
  index: number;
}

/**
 * Read barriers in flight: each has a unique context, learns its read index from a ReadState, and resolves
 * once the state machine has applied up to that index.
 */
export class ReadWaiters {
  private readonly pending = new Map<string, PendingRead>();
  private seq = 0;

  add(nodeId: NodeId, timeoutMs: number): { ctx: Uint8Array; promise: Promise<number> } {
    const ctx = new ByteWriter(16).uvarint(nodeId).uvarint(++this.seq).finish().slice();
    const key = contextKey(ctx);
    const w = waiter<number>(timeoutMs, "read barrier", () => this.pending.delete(key));
    this.pending.set(key, { ctx, w, index: -1 });
    return { ctx, promise: w.promise };
  }

  cancel(ctx: Uint8Array): void {
    this.pending.delete(contextKey(ctx));
  }

  /** Records the leader's answer; resolves at once if `applied` already covers it. */
  readState(rs: ReadState, applied: number): void {
    const p = this.pending.get(contextKey(rs.context));
    if (!p || p.index >= 0) return;
    p.index = rs.index;
    if (applied >= rs.index) {
      this.pending.delete(contextKey(rs.context));
      p.w.resolve(rs.index);
    }
  }

  appliedTo(applied: number): void {
    for (const [key, p] of this.pending) {
      if (p.index >= 0 && p.index <= applied) {
        this.pending.delete(key);
        p.w.resolve(p.index);
      }
    }
  }

  /** Contexts of reads the leader has not answered yet (to re-ask after a leader change). */
  unanswered(): Uint8Array[] {
    return [...this.pending.values()].filter((p) => p.index < 0).map((p) => p.ctx);
  }

  rejectAll(e: Error = new StoppedError("raft: node stopped")): void {
    for (const p of this.pending.values()) p.w.reject(e);
    this.pending.clear();
  }
}
