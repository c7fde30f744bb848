import assert from "node:assert/strict";
import { test } from "node:test";
import { SerialQueue } from "@shoal/common";
import { Gatherer } from "./gather.js";

test("calls made while a batch waits join it, calls made while it runs form the next, each gets its own answer", async () => {
  const q = new SerialQueue();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const blocker = q.run(() => gate);
  const batches: string[][] = [];
  const g = new Gatherer<string>(
    (op) => void q.run(op),
    (keys) => {
      batches.push(keys);
      return Promise.resolve(
        new Map<string, string | Error>(
          keys.filter((k) => k !== "none").map((k) => [k, k === "bad" ? new Error("bad one") : `v-${k}`]),
        ),
      );
    },
  );
  const first = [g.add("a"), g.add("b"), g.add("a"), g.add("bad"), g.add("none")];
  const settled = Promise.allSettled(first);
  release();
  await blocker;
  const results = await settled;
  assert.deepEqual(batches, [["a", "b", "bad", "none"]]);
  assert.deepEqual(
    results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
    ["v-a", "v-b", "v-a", "bad one", "the batch gave no result for none"],
  );
  assert.equal(await g.add("c"), "v-c");
  assert.deepEqual(batches, [["a", "b", "bad", "none"], ["c"]]);
});

test("a batch that throws fails every call in it, and the next batch still runs", async () => {
  let fail = true;
  const g = new Gatherer<number>(
    (op) => void op(),
    (keys) =>
      fail ? Promise.reject(new Error("system down")) : Promise.resolve(new Map(keys.map((k) => [k, k.length]))),
  );
  await assert.rejects(g.add("x"), /system down/);
  fail = false;
  assert.equal(await g.add("xyz"), 3);
});
