import { Bitset, type EntryNode, buildEntryList, lift, unlift } from "./entry-list.js";
import type { Operation } from "./history.js";
import type { Model } from "./model.js";

/** What the search of one partition found. */
export type SearchOutcome<S> =
  | { readonly kind: "ok" }
  | { readonly kind: "timeout" }
  | {
      readonly kind: "illegal";
      /** Ids (indexes into the partition) of the longest linearizable prefix found, in linearization order. */
      readonly prefix: readonly number[];
      /** The model state after that prefix. */
      readonly state: S;
      /** The operation that had to be linearized next (it had returned) but could not be. */
      readonly blockedBy: number;
    };

/** How many search steps run between two looks at the clock. */
const CLOCK_EVERY = 1024;

/**
 * Decides whether `ops` is linearizable with respect to `model`: the Wing & Gong search with Lowe's memo
 * cache, as in porcupine. It walks the entry list from the front trying each pending call as the next
 * operation to take effect; a return entry reached before its call was linearized means the current
 * partial order is a dead end, so it backtracks. The cache of (linearized set, state) pairs already explored
 * prunes orders that reach the same configuration by a different path.
 *
 * `expired` is polled every `CLOCK_EVERY` steps (and before the first); when it returns true the search stops.
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  expired: () => boolean,
): SearchOutcome<S> {
  const { head, tail } = buildEntryList(ops);
  const linearized = new Bitset(ops.length);
  const cache = new Map<string, S[]>();
  const calls: { node: EntryNode; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let best: { prefix: number[]; state: S; blockedBy: number } = { prefix: [], state, blockedBy: -1 };
  let steps = 0;

  while (head.next !== tail) {
    if (steps++ % CLOCK_EVERY === 0 && expired()) return { kind: "timeout" };
    if (entry.match !== null) {
      const op = ops[entry.id] as Operation<I, O>;
      const next = model.step(state, op.input, op.output);
      if (next.ok) {
        linearized.set(entry.id);
        const key = `${linearized.key()}\u0000${model.hash(next.state)}`;
        const seen = cache.get(key);
        if (seen === undefined || !seen.some((s) => model.equal(s, next.state))) {
          if (seen === undefined) cache.set(key, [next.state]);
          else seen.push(next.state);
          calls.push({ node: entry, state });
          state = next.state;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.id);
      }
      entry = entry.next;
    } else {
      // A return entry whose operation is not linearized: no pending call can go next from here. Undo the last.
      if (calls.length > best.prefix.length || best.blockedBy < 0) {
        best = { prefix: calls.map((c) => c.node.id), state, blockedBy: entry.id };
      }
      const top = calls.pop();
      if (top === undefined) return { kind: "illegal", ...best };
      entry = top.node;
      state = top.state;
      linearized.clear(entry.id);
      unlift(entry);
      entry = entry.next;
    }
  }
  return { kind: "ok" };
}
