/**
 * A real three-process cluster on loopback, members killed with SIGKILL and restarted on their data dirs while
 * clients run; the clients' history must be linearizable, and nothing acknowledged may be lost.
 *
 * SHOAL_KV_SEED=<n> replays the choices (victims, operations) of one run; the seed is printed on failure.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkOperations } from "../linearizability/checker.js";
import { HistoryRecorder, type Operation } from "../linearizability/history.js";
import { KV_UNKNOWN, type KvInput, type KvOutput, isKvUnknown, kvModel } from "../linearizability/kv-model.js";
import { Rng } from "../rng.js";
import { KvClient } from "./kv-client.js";
import { type KvProcessCluster, startKvCluster } from "./kv-cluster.js";

const seed = Number(process.env["SHOAL_KV_SEED"] ?? Date.now() % 100_000);
const KEYS = ["a", "b", "c"];

type KvOp = Operation<KvInput, KvOutput>;

/** Clients issuing random operations until stopped; counts acknowledged operations for progress waits. */
class Workload {
  readonly rec = new HistoryRecorder<KvInput, KvOutput>(KV_UNKNOWN);
  private stopped = false;
  private acked = 0;
  private readonly waiters: { target: number; resolve: () => void }[] = [];
  private readonly runs: Promise<void>[] = [];
  private readonly t0 = performance.now();
  private next = 0;

  constructor(cluster: KvProcessCluster, clients: number, rng: Rng) {
    for (let c = 0; c < clients; c++) {
      const client = new KvClient(cluster.urls(), { timeoutMs: 3_000, maxSockets: 2 });
      const r = rng.fork();
      this.runs.push(this.loop(c, client, r).finally(() => client.close()));
    }
  }

  /** Resolves once `n` more operations have been acknowledged. */
  progress(n: number): Promise<void> {
    const target = this.acked + n;
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  async stop(): Promise<KvOp[]> {
    this.stopped = true;
    await Promise.all(this.runs);
    return this.rec.operations();
  }

  private async loop(clientId: number, client: KvClient, rng: Rng): Promise<void> {
    while (!this.stopped) {
      const key = rng.pick(KEYS);
      const value = `v${clientId}-${this.next++}`; // unique, so a read names the write it saw
      const roll = rng.next();
      const input: KvInput =
        roll < 0.4
          ? { op: "get", key }
          : roll < 0.8
            ? { op: "put", key, value }
            : {
                op: "cas",
                key,
                expected: rng.chance(0.5) ? null : `v${rng.int(clientId + 1)}-${rng.int(this.next)}`,
                value,
              };
      const call = this.rec.call(clientId, input, performance.now() - this.t0);
      const outcome = await client.run(input);
      switch (outcome.kind) {
        case "ok":
          call.ok(outcome.output, performance.now() - this.t0);
          this.acked++;
          for (const w of this.waiters.filter((w) => this.acked >= w.target)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve();
          }
          break;
        case "failed":
          // Certainly not applied: equivalent to an operation that never took effect.
          call.unknown();
          break;
        case "unknown":
          call.unknown();
          break;
      }
    }
  }
}

function withSeed(t: { diagnostic(msg: string): void }, body: () => Promise<void>): Promise<void> {
  return body().catch((e: unknown) => {
    t.diagnostic(`replay with SHOAL_KV_SEED=${seed}`);
    throw new Error(`${e instanceof Error ? e.message : String(e)} (seed ${seed}: replay with SHOAL_KV_SEED=${seed})`, {
      cause: e,
    });
  });
}

test(
  "a 3-process cluster stays linearizable while members are killed -9 and restarted",
  { timeout: 120_000 },
  async (t) => {
    await withSeed(t, async () => {
      const rng = new Rng(seed);
      const cluster = await startKvCluster({ tickMs: 30 });
      t.after(() => cluster.destroy());
      await cluster.waitForLeader();
      const work = new Workload(cluster, 5, rng.fork());
      let ops: KvOp[] = [];
      try {
        await work.progress(30);
        for (let round = 0; round < 5; round++) {
          const leader = await cluster.waitForLeader();
          // Alternate: the leader itself, then any member.
          const victim = round % 2 === 0 ? leader : rng.pick(cluster.ids);
          await cluster.kill9(victim);
          await cluster.waitForLeader({ exclude: [victim] });
          await work.progress(40); // the two survivors make progress on their own
          await cluster.restart(victim);
          await work.progress(40);
        }
      } finally {
        ops = await work.stop();
      }
      const puts = ops.filter((o) => o.input.op !== "get" && !isKvUnknown(o.output)).length;
      assert.ok(puts > 50, `the clients got writes acknowledged (${puts})`);
      const verdict = checkOperations(kvModel, ops, { timeoutMs: 60_000 });
      assert.equal(verdict.result, "ok", verdict.info);

      // The same history with one read made stale must be caught: the check above can fail.
      const stale = makeOneReadStale(ops);
      assert.ok(stale, "the history has a read after two ordered writes of its key, to falsify");
      const broken = checkOperations(kvModel, stale, { timeoutMs: 60_000 });
      assert.equal(broken.result, "illegal", "a stale read is reported as not linearizable");
    });
  },
);

test("killing every member at once loses no acknowledged write", { timeout: 120_000 }, async (t) => {
  await withSeed(t, async () => {
    const rng = new Rng(seed ^ 0x9e37);
    const cluster = await startKvCluster({ tickMs: 30 });
    t.after(() => cluster.destroy());
    await cluster.waitForLeader();
    const acked = new Map<string, string>();
    const clients = Array.from({ length: 8 }, () => new KvClient(cluster.urls(), { timeoutMs: 3_000 }));
    let killed = false;
    let n = 0;
    let enough: () => void = () => undefined;
    const enoughAcked = new Promise<void>((resolve) => (enough = resolve));
    const writers = clients.map(async (client, c) => {
      while (!killed) {
        // A fresh key per write: a write whose answer the kill swallowed may still have been committed,
        // and must not be confused with an acknowledged one.
        const key = `k${c}-${n}`;
        const value = `w${n++}-${rng.int(1000)}`;
        const out = await client.run({ op: "put", key, value });
        // Every acknowledged write must survive, also those acknowledged just before the kill.
        if (out.kind === "ok") acked.set(key, value);
        if (acked.size >= 60) enough();
      }
    });
    // Kill all three while writes are in flight, once a good number are acknowledged.
    await enoughAcked;
    await Promise.all(cluster.ids.map((id) => cluster.kill9(id)));
    killed = true;
    await Promise.all(writers);
    clients.forEach((c) => c.close());
    const snapshot = new Map(acked);

    await Promise.all(cluster.ids.map((id) => cluster.restart(id)));
    await cluster.waitForLeader();
    const reader = new KvClient(cluster.urls(), { timeoutMs: 10_000 });
    try {
      for (const [key, value] of snapshot) {
        const out = await reader.run({ op: "get", key });
        assert.equal(out.kind, "ok", `read ${key} after the restart: ${JSON.stringify(out)}`);
        if (out.kind === "ok") assert.deepEqual(out.output, { value }, `acknowledged write ${key}=${value} survived`);
      }
    } finally {
      reader.close();
    }
  });
});

/**
 * Copies `ops` with one read changed to return a value that was overwritten before the read began: a write
 * of X, then a later write of Y to the same key that returned before the read was called. Values are unique,
 * so no linearization can explain reading X. Undefined if no such triple exists.
 */
function makeOneReadStale(ops: readonly KvOp[]): KvOp[] | undefined {
  const writes = ops.filter((o) => o.input.op === "put" && Number.isFinite(o.return));
  for (const [gi, g] of ops.entries()) {
    if (g.input.op !== "get" || !Number.isFinite(g.return)) continue;
    const key = g.input.key;
    for (const x of writes) {
      if (x.input.key !== key || x.input.op !== "put") continue;
      const overwritten = writes.some((y) => y.input.key === key && x.return < y.call && y.return < g.call);
      if (!overwritten || ("value" in g.output && g.output.value === x.input.value)) continue;
      const copy = [...ops];
      copy[gi] = { ...g, output: { value: x.input.value } };
      return copy;
    }
  }
  return undefined;
}
