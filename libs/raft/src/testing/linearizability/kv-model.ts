import type { Operation } from "./history.js";
import type { Model, Partition } from "./model.js";

/** An operation on the key-value store: read a key, write it, or compare-and-set it (`null` = absent). */
export type KvInput =
  | { readonly op: "get"; readonly key: string }
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | { readonly op: "cas"; readonly key: string; readonly expected: string | null; readonly value: string };

/** The output of a `get`: the value read, `null` when the key is absent. */
export interface KvGetOutput {
  readonly value: string | null;
}

/** The output of a `put`: nothing but the fact that it returned. */
export type KvPutOutput = Readonly<Record<string, never>>;

/** The output of a `cas`: whether the value was `expected` and so was replaced. */
export interface KvCasOutput {
  readonly ok: boolean;
}

/** The output of an indeterminate operation: never observed. Use {@link KV_UNKNOWN}. */
export interface KvUnknownOutput {
  readonly unknown: true;
}

/** What a KV operation returned, or {@link KV_UNKNOWN} when that is not known. */
export type KvOutput = KvGetOutput | KvPutOutput | KvCasOutput | KvUnknownOutput;

/** The marker output of an indeterminate KV operation (pair it with `return: Infinity`). */
export const KV_UNKNOWN: KvUnknownOutput = Object.freeze({ unknown: true });

/** The state of one partition of the KV model: the value of its single key, `null` while absent. */
export type KvState = string | null;

/** Whether `output` is the unknown marker (any object with `unknown: true`). */
export function isKvUnknown(output: KvOutput): output is KvUnknownOutput {
  return "unknown" in output && output.unknown;
}

function show(value: string | null): string {
  return value === null ? "null" : JSON.stringify(value);
}

function describeResult(output: KvOutput): string {
  if (isKvUnknown(output)) return " -> ? (indeterminate)";
  if ("value" in output) return ` -> ${show(output.value)}`;
  if ("ok" in output) return output.ok ? " -> swapped" : " -> not swapped";
  return " -> (no result)";
}

function stepKv(state: KvState, input: KvInput, output: KvOutput): { ok: boolean; state: KvState } {
  const unknown = isKvUnknown(output);
  switch (input.op) {
    case "get":
      return { ok: unknown || ("value" in output && output.value === state), state };
    case "put":
      // A put's output carries no information, so any recorded output fits.
      return { ok: true, state: input.value };
    case "cas": {
      // A cas that took effect succeeded exactly when the value matched, so an unknown one is still determined.
      const swapped = state === input.expected;
      const ok = unknown || ("ok" in output && output.ok === swapped);
      return { ok, state: swapped ? input.value : state };
    }
  }
}

/**
 * The model of Shoal's replicated key-value store, partitioned by key: each key is checked on its own, so its
 * state is just that key's value. Indeterminate operations carry {@link KV_UNKNOWN}; indeterminate gets are
 * dropped when partitioning, since a read that was never answered constrains nothing.
 */
export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => null,
  step: stepKv,
  equal: (a, b) => a === b,
  hash: (s) => (s === null ? "\u0000" : `=${s}`),
  partition(operations: readonly Operation<KvInput, KvOutput>[]): Partition<KvInput, KvOutput>[] {
    const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
    for (const op of operations) {
      if (op.input.op === "get" && isKvUnknown(op.output)) continue;
      const list = byKey.get(op.input.key);
      if (list === undefined) byKey.set(op.input.key, [op]);
      else list.push(op);
    }
    return [...byKey].map(([key, ops]) => ({ label: `key ${JSON.stringify(key)}`, operations: ops }));
  },
  describeOperation(input, output) {
    switch (input.op) {
      case "get":
        return `get(${show(input.key)})${describeResult(output)}`;
      case "put":
        return `put(${show(input.key)}, ${show(input.value)})${isKvUnknown(output) ? describeResult(output) : ""}`;
      case "cas":
        return `cas(${show(input.key)}, ${show(input.expected)} -> ${show(input.value)})${describeResult(output)}`;
    }
  },
  describeState: (s) => (s === null ? "(absent)" : show(s)),
};
