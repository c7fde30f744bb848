import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiStoreEvent, ClusterStatus, Info } from "@shoal/api";
import { LiveCluster, type LiveApi, type LiveState } from "./live.js";
import { event, node, service, task } from "./testing.js";

const info = (appliedIndex: number): Info => ({
  version: "1",
  clusterId: "c",
  nodeId: "n1",
  managerAddr: "127.0.0.1:1",
  raft: { leader: true, leaderId: "1", term: 2, commitIndex: appliedIndex, appliedIndex },
  counts: { nodes: 1, services: 1, tasks: 1 },
});
const status: ClusterStatus = {
  source: "leader",
  answeredBy: { raftId: 1, apiAddr: "127.0.0.1:1" },
  leaderId: 1,
  term: 2,
  commitIndex: 5,
  quorum: 1,
  managers: [],
};

/** An event stream the test feeds by hand; `end(error?)` breaks it as a lost connection would. */
class Stream {
  private queue: ApiStoreEvent[] = [];
  private wake: (() => void) | undefined;
  private ended: { error?: Error } | undefined;
  push(...es: ApiStoreEvent[]) {
    this.queue.push(...es);
    this.wake?.();
  }
  end(error?: Error) {
    this.ended = error ? { error } : {};
    this.wake?.();
  }
  async *iterate(signal: AbortSignal): AsyncGenerator<ApiStoreEvent> {
    signal.addEventListener("abort", () => this.end(), { once: true });
    for (;;) {
      const e = this.queue.shift();
      if (e) {
        yield e;
        continue;
      }
      if (this.ended) {
        if (this.ended.error) throw this.ended.error;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/** A fake API over a list of objects; records the `since` of each stream opened. */
function fakeApi(lists: () => Awaited<ReturnType<LiveApi["lists"]>>, applied: () => number) {
  const streams: { since: number; stream: Stream }[] = [];
  let opened: (() => void) | undefined;
  const api: LiveApi = {
    info: () => Promise.resolve(info(applied())),
    status: () => Promise.resolve(status),
    lists: () => Promise.resolve(lists()),
    events: (since, signal) => {
      const stream = new Stream();
      streams.push({ since, stream });
      opened?.();
      return stream.iterate(signal);
    },
  };
  const nextStream = () => new Promise<void>((r) => (opened = r));
  return { api, streams, nextStream };
}

/** Resolves with the first state `f` accepts. */
function waitFor(
  states: LiveState[],
  f: (s: LiveState) => boolean,
  subscribe: (cb: () => void) => void,
): Promise<LiveState> {
  return new Promise((resolve) => {
    const check = () => {
      const s = states.find(f);
      if (s) resolve(s);
    };
    subscribe(check);
    check();
  });
}

test("the first load reads the lists and applies what the stream replayed from the index read before them", async () => {
  let applied = 10;
  const { api, streams, nextStream } = fakeApi(
    () => ({
      nodes: [node("n1")],
      services: [service("s1", { name: "web", replicas: 2, version: 9 })],
      tasks: [task("t1", "s1", { slot: 1, nodeId: "n1", version: 10 })],
      networks: [],
    }),
    () => applied,
  );
  const states: LiveState[] = [];
  let notify = () => {};
  const live = new LiveCluster(
    api,
    (s) => {
      states.push(s);
      notify();
    },
    { batchMs: 0, sleep: () => Promise.resolve(), statusEveryMs: 1 },
  );
  const opened = nextStream();
  const loops = live.start();
  await opened;
  assert.equal(streams[0]?.since, 10);
  // Replayed before the lists arrive: an older version of t1 (skipped) and a new task (kept).
  streams[0]?.stream.push(
    event("update", "task", task("t1", "s1", { slot: 1, nodeId: "n1", state: "starting", version: 9 }), 9),
    event("create", "task", task("t2", "s1", { slot: 2, nodeId: "n1", version: 11 })),
  );
  const loaded = await waitFor(
    states,
    (s) => s.loaded && s.model.tasks.size === 2,
    (cb) => (notify = cb),
  );
  assert.equal(loaded.model.tasks.get("t1")?.status.state, "running");
  assert.equal(loaded.conn.state, "live");

  // A break: the page says so and keeps the model, then reconnects from the index the manager has now.
  applied = 20;
  const reopened = nextStream();
  streams[0]?.stream.end(Object.assign(new Error("socket hang up"), { code: "SHOAL_ERR_UNREACHABLE" }));
  const retrying = await waitFor(
    states,
    (s) => s.conn.state === "retrying",
    (cb) => (notify = cb),
  );
  assert.deepEqual(retrying.conn.state === "retrying" && [retrying.conn.problem.code, retrying.conn.attempt], [
    "SHOAL_ERR_UNREACHABLE",
    1,
  ]);
  assert.equal(retrying.model.tasks.size, 2, "the last state stays on the page");
  await reopened;
  assert.equal(streams[1]?.since, 20);
  live.stop();
  await loops.stream;
  await loops.status;
  assert.ok(
    states.some((s) => s.status?.leaderId === 1),
    "cluster status was read",
  );
});

test("a stream that ends while the lists are read is retried, not taken as loaded", async () => {
  let release: () => void = () => {};
  const listsGate = new Promise<void>((r) => (release = r));
  const { api, streams, nextStream } = fakeApi(
    () => ({ nodes: [], services: [], tasks: [], networks: [] }),
    () => 1,
  );
  const slowApi: LiveApi = { ...api, lists: async () => (await listsGate, api.lists()) };
  const states: LiveState[] = [];
  const live = new LiveCluster(slowApi, (s) => states.push(s), {
    batchMs: 0,
    sleep: (_ms, signal) => new Promise((r) => signal.addEventListener("abort", () => r(), { once: true })),
    statusEveryMs: 1,
  });
  const opened = nextStream();
  const loops = live.start();
  await opened;
  streams[0]?.stream.end();
  await new Promise((r) => setImmediate(r));
  release();
  await new Promise((r) => setImmediate(r));
  const last = states.at(-1);
  assert.equal(last?.conn.state, "retrying");
  assert.equal(last?.loaded, false);
  live.stop();
  await loops.stream;
  await loops.status;
});

test("an API error becomes a problem naming each wrong field and the hint", async () => {
  const { toProblem } = await import("./live.js");
  const e = Object.assign(new Error("invalid request body"), {
    code: "SHOAL_ERR_VALIDATION",
    status: 400,
    hint: "fix the fields",
    issues: [{ field: "replicas", message: "must be >= 0" }],
  });
  assert.deepEqual(toProblem(e), {
    code: "SHOAL_ERR_VALIDATION",
    message: "invalid request body (replicas: must be >= 0)",
    hint: "fix the fields",
    status: 400,
  });
  assert.deepEqual(toProblem("boom"), {
    code: "SHOAL_ERR_UNKNOWN",
    message: "boom",
    hint: undefined,
    status: undefined,
  });
});
