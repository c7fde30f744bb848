import type { StateMachine } from "../../node/state-machine.js";

/** A command of the test key-value store. */
export type KvCommand =
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | { readonly op: "cas"; readonly key: string; readonly expected: string | null; readonly value: string };

/** What applying a command returns. */
export type KvResult = { readonly ok: boolean; readonly value: string | null };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeKvCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

/**
 * The small key-value state machine used by Raft's tests and benchmark: put and compare-and-set as replicated
 * commands; reads are served locally after a read barrier.
 */
export class KvStateMachine implements StateMachine<KvResult> {
  private data = new Map<string, string>();
  appliedCount = 0;

  apply(data: Uint8Array): KvResult {
    this.appliedCount++;
    const c = JSON.parse(dec.decode(data)) as KvCommand;
    const cur = this.data.get(c.key) ?? null;
    if (c.op === "put") {
      this.data.set(c.key, c.value);
      return { ok: true, value: c.value };
    }
    if (cur !== c.expected) return { ok: false, value: cur };
    this.data.set(c.key, c.value);
    return { ok: true, value: c.value };
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  get size(): number {
    return this.data.size;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(data: Uint8Array): void {
    this.data = new Map(data.byteLength ? (JSON.parse(dec.decode(data)) as [string, string][]) : []);
  }
}
