import type { Operation } from "./history.js";
import type { Model, Partition } from "./model.js";

/** How many operations of the prefix and of the candidates a report shows at most. */
const SHOW_PREFIX = 12;
const SHOW_CANDIDATES = 20;

/** What the report needs from an illegal search outcome. */
export interface IllegalFinding<S> {
  readonly prefix: readonly number[];
  readonly state: S;
  readonly blockedBy: number;
}

/** `#12 client 3 [10..14] put("x", "a")`: the history index (when known), client, times and description. */
export function formatOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>, index?: number): string {
  const at = index === undefined ? "" : `#${index} `;
  const ret = op.return === Infinity ? "no return (indeterminate)" : String(op.return);
  return `${at}client ${op.clientId} [${op.call}..${ret}] ${model.describeOperation(op.input, op.output)}`;
}

/**
 * Explains why a partition is not linearizable: which partition, the longest linearizable prefix found and
 * the state after it, the operation that returned before it could be placed, and for each operation that
 * could have gone next, whether the model rejects it in that state or accepts it but leads to a dead end.
 * `indexOf` maps operations to their index in the history given to the checker.
 */
export function explainIllegal<S, I, O>(
  model: Model<S, I, O>,
  partition: Partition<I, O>,
  finding: IllegalFinding<S>,
  indexOf: ReadonlyMap<Operation<I, O>, number>,
): string {
  const ops = partition.operations;
  const show = (id: number): string => {
    const op = ops[id] as Operation<I, O>;
    return formatOperation(model, op, indexOf.get(op));
  };
  const describeState = (s: S): string => model.describeState?.(s) ?? `(state hash ${model.hash(s)})`;
  const lines = [`not linearizable: partition ${partition.label} (${ops.length} operations)`];

  const { prefix } = finding;
  const after = describeState(finding.state);
  lines.push(`longest linearizable prefix: ${prefix.length} of ${ops.length} operations, leaving state ${after}`);
  if (prefix.length > SHOW_PREFIX) lines.push(`  ... ${prefix.length - SHOW_PREFIX} earlier operations`);
  prefix.slice(-SHOW_PREFIX).forEach((id, k) => {
    lines.push(`  ${prefix.length - Math.min(prefix.length, SHOW_PREFIX) + k + 1}. ${show(id)}`);
  });

  const blocked = ops[finding.blockedBy] as Operation<I, O>;
  lines.push(`cannot place: ${show(finding.blockedBy)}`);
  lines.push(`  it returned at ${blocked.return}, so it or an operation called by then must go next; none can:`);
  const placed = new Set(prefix);
  const candidates = ops
    .map((op, id) => ({ op, id }))
    .filter(({ op, id }) => !placed.has(id) && op.call <= blocked.return);
  for (const { op, id } of candidates.slice(0, SHOW_CANDIDATES)) {
    const why = model.step(finding.state, op.input, op.output).ok
      ? "fits this state, but no order of the rest works after it"
      : "the model rejects it in this state";
    lines.push(`  - ${show(id)}: ${why}`);
  }
  if (candidates.length > SHOW_CANDIDATES) lines.push(`  ... ${candidates.length - SHOW_CANDIDATES} more`);
  return lines.join("\n");
}
