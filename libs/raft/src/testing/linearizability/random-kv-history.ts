import { mulberry32 } from "../rng.js";
import type { Operation } from "./history.js";
import { KV_UNKNOWN, type KvInput, type KvOutput } from "./kv-model.js";

/** A seeded PRNG (mulberry32) giving floats in [0, 1): the only randomness of the simulated histories. */
export const prng = mulberry32;

/** Shape of a simulated run. */
export interface KvSimOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  readonly operations: number;
  /** Chance that an operation's answer is lost: it then takes effect later, at once, or never. Default 0. */
  readonly indeterminateRate?: number;
}

type Pending = { readonly clientId: number; readonly input: KvInput; readonly call: number };
type Busy = Pending & { output?: KvOutput };

/**
 * Simulates `clients` clients against one sequential key-value map: each operation takes effect at one
 * instant strictly between its call and its return, and other clients' calls and returns interleave
 * around it at random. The result is linearizable by construction. Every written value is unique.
 */
export function simulateKvHistory(opts: KvSimOptions): Operation<KvInput, KvOutput>[] {
  const rand = prng(opts.seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const store = new Map<string, string>();
  const written: string[] = [];
  const clients: (Busy | undefined)[] = Array.from({ length: opts.clients }, () => undefined);
  const orphans: Pending[] = []; // lost answers whose operation has not taken effect yet
  const history: Operation<KvInput, KvOutput>[] = [];
  let issued = 0;
  let time = 0;

  const apply = (input: KvInput): KvOutput => {
    const current = store.get(input.key) ?? null;
    switch (input.op) {
      case "get":
        return { value: current };
      case "put":
        store.set(input.key, input.value);
        return {};
      case "cas":
        if (current !== input.expected) return { ok: false };
        store.set(input.key, input.value);
        return { ok: true };
    }
  };
  const newInput = (): KvInput => {
    const key = `k${pick(opts.keys)}`;
    const r = rand();
    if (r < 0.4) return { op: "get", key };
    const value = `v${written.length}`;
    written.push(value);
    if (r < 0.8) return { op: "put", key, value };
    const expected = rand() < 0.5 ? (store.get(key) ?? null) : (written[pick(written.length)] ?? null);
    return { op: "cas", key, expected, value };
  };

  while (issued < opts.operations || clients.some((c) => c !== undefined)) {
    time += 1 + pick(3);
    if (orphans.length > 0 && rand() < 0.05) {
      const [orphan] = orphans.splice(pick(orphans.length), 1);
      if (orphan !== undefined && rand() < 0.7) apply(orphan.input);
    }
    const id = pick(opts.clients);
    const busy = clients[id];
    if (busy === undefined) {
      if (issued < opts.operations) {
        clients[id] = { clientId: id, input: newInput(), call: time };
        issued++;
      }
    } else if (rand() < (opts.indeterminateRate ?? 0)) {
      // The answer is lost: before the operation took effect (it may still, later) or after.
      if (busy.output === undefined) orphans.push(busy);
      history.push({ clientId: id, input: busy.input, call: busy.call, output: KV_UNKNOWN, return: Infinity });
      clients[id] = undefined;
    } else if (busy.output === undefined) {
      busy.output = apply(busy.input);
    } else {
      history.push({ clientId: id, input: busy.input, call: busy.call, output: busy.output, return: time });
      clients[id] = undefined;
    }
  }
  return history;
}
