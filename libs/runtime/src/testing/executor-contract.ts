import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { AlreadyExistsError, InUseError, InvalidStateError, NotFoundError } from "../errors.js";
import type { Executor } from "../executor.js";
import type { ContainerEvent, ContainerSpec, LogEntry, LogReadOptions } from "../types.js";

/** What a contract run needs: an executor, an image with busybox in it, and a way to tear both down. */
export interface ExecutorContractSetup {
  executor: Executor;
  /** Reference of an image whose `sh`, `sleep`, `echo` and `cat` are busybox's (or the twin's interpreter). */
  image: string;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every {@link Executor} must show, as a node:test suite: lifecycle and its errors, exit codes and
 * signals, stop's grace period, exec, logs (tail, since, follow), events and volumes. Runs against the in-memory
 * executor and, with a busybox image, the real runc runtime, so it uses only commands both understand. Time is
 * real: the suite awaits events (log lines, exits) and never sleeps. `setup` runs once before the tests;
 * every test removes the containers it made, also when it fails.
 */
export function describeExecutorContract(name: string, setup: () => Promise<ExecutorContractSetup>): void {
  void describe(`Executor contract: ${name}`, () => {
    let env: ExecutorContractSetup | undefined;
    const prefix = `contract-${randomBytes(3).toString("hex")}`;
    let seq = 0;

    before(async () => {
      env = await setup();
    });
    after(async () => {
      await env?.cleanup();
    });

    const ex = (): Executor => {
      assert.ok(env, "setup did not complete");
      return env.executor;
    };
    /** Creates a container running `cmd`, removed (forcibly) when the test ends. */
    const make = async (
      t: { after(fn: () => Promise<void>): void },
      cmd: string[],
      extra: Partial<ContainerSpec> = {},
    ): Promise<string> => {
      const id = `${prefix}-${++seq}`;
      t.after(() => ex().remove(id, { force: true }).catch(ignoreNotFound));
      await ex().create({ id, image: env?.image ?? "", cmd, ...extra });
      return id;
    };
    const run = async (
      t: { after(fn: () => Promise<void>): void },
      cmd: string[],
      extra: Partial<ContainerSpec> = {},
    ): Promise<string> => {
      const id = await make(t, cmd, extra);
      await ex().start(id);
      return id;
    };
    const lines = async (id: string, options: LogReadOptions = {}): Promise<string[]> =>
      (await collect(ex().logs(id, options))).map((e) => e.line);

    void it("creates, starts and inspects a container", async (t) => {
      const id = await make(t, ["sleep", "1000"], { labels: { role: "contract" } });
      const created = await ex().inspect(id);
      assert.equal(created.status, "created");
      assert.equal(created.id, id);
      assert.deepEqual(created.args, ["sleep", "1000"]);
      assert.equal(created.labels["role"], "contract");
      assert.equal(created.exitCode, undefined);
      assert.equal(created.imageId, (await ex().images.inspect(env?.image ?? "")).id);
      const started = await ex().start(id);
      assert.equal(started.status, "running");
      const info = await ex().inspect(id);
      assert.equal(info.status, "running");
      assert.ok(typeof info.pid === "number" && info.pid > 0, "a running container has a pid");
      assert.ok(info.startedAt !== undefined && Date.parse(info.startedAt) >= Date.parse(info.createdAt));
      assert.ok((await ex().list()).some((c) => c.id === id && c.status === "running"));
    });

    void it("reports the exit code and output of `sh -c 'echo hi; exit 3'`", async (t) => {
      const id = await run(t, ["sh", "-c", "echo hi; exit 3"]);
      const exit = await ex().wait(id);
      assert.equal(exit.exitCode, 3);
      assert.equal(exit.oomKilled, false);
      const info = await ex().inspect(id);
      assert.equal(info.status, "stopped");
      assert.equal(info.exitCode, 3);
      assert.equal(info.pid, undefined);
      assert.deepEqual(await collect(ex().logs(id)).then((es) => es.map((e) => [e.stream, e.line])), [
        ["stdout", "hi\n"],
      ]);
      assert.deepEqual(await ex().wait(id), exit, "wait on an exited container answers at once, the same");
    });

    void it("keeps stdout and stderr apart", async (t) => {
      const id = await run(t, ["sh", "-c", "echo out; echo err >&2"]);
      await ex().wait(id);
      const entries = await collect(ex().logs(id));
      assert.deepEqual(entries.map((e) => [e.stream, e.line]).sort(), [
        ["stderr", "err\n"],
        ["stdout", "out\n"],
      ]);
    });

    void it("stops `sleep 1000` with SIGTERM: exit 143", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      const exit = await ex().stop(id, { graceMs: 10_000 });
      assert.equal(exit.exitCode, 143);
      assert.equal((await ex().inspect(id)).status, "stopped");
      assert.deepEqual(await ex().stop(id), exit, "stopping a stopped container returns its exit");
    });

    void it("kills with SIGKILL after the grace period when TERM is ignored: exit 137", async (t) => {
      const id = await run(t, ["sh", "-c", 'trap "" TERM; echo ready; sleep 1000']);
      await firstLine(ex(), id, "ready\n");
      const exit = await ex().stop(id, { graceMs: 200 });
      assert.equal(exit.exitCode, 137);
    });

    void it("kill delivers a signal; wait resolves with 128 + signal", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      const waiting = ex().wait(id);
      await ex().kill(id, "SIGKILL");
      assert.equal((await waiting).exitCode, 137);
      await assert.rejects(ex().kill(id, "TERM"), InvalidStateError);
    });

    void it("wait rejects when its signal aborts", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      const ac = new AbortController();
      const waiting = ex().wait(id, { signal: ac.signal });
      ac.abort(new Error("gave up"));
      await assert.rejects(waiting, /gave up/);
    });

    void it("reports start and exit events to subscribers", async (t) => {
      const events: ContainerEvent[] = [];
      let sawExit: () => void = () => undefined;
      const exited = new Promise<void>((resolve) => (sawExit = resolve));
      const unsubscribe = ex().subscribe((e) => {
        if (!e.id.startsWith(prefix)) return;
        events.push(e);
        if (e.type === "exit") sawExit();
      });
      t.after(() => Promise.resolve(unsubscribe()));
      const id = await run(t, ["sh", "-c", "exit 2"]);
      await exited;
      assert.deepEqual(
        events.map((e) => [e.type, e.id]),
        [
          ["start", id],
          ["exit", id],
        ],
      );
      const exit = events[1];
      assert.ok(exit?.type === "exit");
      assert.equal(exit.exit.exitCode, 2);
    });

    void it("removes containers: NotFoundError afterwards; a running one only with force", async (t) => {
      const done = await run(t, ["true"]);
      await ex().wait(done);
      await ex().remove(done);
      await assert.rejects(
        ex().inspect(done),
        (err: unknown) => err instanceof NotFoundError && err.kind === "container",
      );
      await assert.rejects(ex().start(done), NotFoundError);
      await assert.rejects(ex().wait(done), NotFoundError);
      await assert.rejects(ex().remove(done), NotFoundError);
      assert.ok(!(await ex().list()).some((c) => c.id === done));

      const created = await make(t, ["true"]);
      await ex().remove(created);
      await assert.rejects(ex().inspect(created), NotFoundError);

      const running = await run(t, ["sleep", "1000"]);
      await assert.rejects(
        ex().remove(running),
        (err: unknown) => err instanceof InvalidStateError && err.state === "running",
      );
      assert.equal((await ex().inspect(running)).status, "running");
      await ex().remove(running, { force: true });
      await assert.rejects(ex().inspect(running), NotFoundError);
    });

    void it("refuses a duplicate id with AlreadyExistsError", async (t) => {
      const id = await make(t, ["true"]);
      await assert.rejects(
        ex().create({ id, image: env?.image ?? "", cmd: ["true"] }),
        (err: unknown) => err instanceof AlreadyExistsError && err.ref === id,
      );
    });

    void it("refuses to start a running container with InvalidStateError", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      await assert.rejects(
        ex().start(id),
        (err: unknown) => err instanceof InvalidStateError && err.id === id && err.state === "running",
      );
    });

    void it("execs in a running container", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      assert.deepEqual(await ex().exec(id, { cmd: ["echo", "x"] }), { exitCode: 0, stdout: "x\n", stderr: "" });
      const r = await ex().exec(id, { cmd: ["sh", "-c", "echo e >&2; exit 4"] });
      assert.deepEqual([r.exitCode, r.stdout, r.stderr], [4, "", "e\n"]);
      assert.equal((await ex().exec(id, { cmd: ["cat"], stdin: "fed\n" })).stdout, "fed\n");
      assert.deepEqual(await lines(id), [], "exec output does not go to the container's log");
    });

    void it("refuses exec in a created or stopped container with InvalidStateError", async (t) => {
      const id = await make(t, ["sh", "-c", "exit 0"]);
      await assert.rejects(ex().exec(id, { cmd: ["echo", "x"] }), InvalidStateError);
      await ex().start(id);
      await ex().wait(id);
      await assert.rejects(
        ex().exec(id, { cmd: ["echo", "x"] }),
        (err: unknown) => err instanceof InvalidStateError && err.state === "stopped",
      );
    });

    void it("reads logs with tail and since", async (t) => {
      const id = await run(t, ["sh", "-c", "echo one; sleep 0.05; echo two; echo three"]);
      await ex().wait(id);
      const all = await collect(ex().logs(id));
      assert.deepEqual(
        all.map((e) => e.line),
        ["one\n", "two\n", "three\n"],
      );
      assert.deepEqual(await lines(id, { tail: 2 }), ["two\n", "three\n"]);
      assert.deepEqual(await lines(id, { tail: 0 }), []);
      assert.deepEqual(await lines(id, { tail: 10 }), ["one\n", "two\n", "three\n"]);
      const two = all[1] as LogEntry;
      assert.deepEqual(await lines(id, { since: two.time }), ["two\n", "three\n"]);
      assert.deepEqual(await lines(id, { since: Date.parse(two.time) }), ["two\n", "three\n"]);
      assert.deepEqual(await lines(id, { since: Date.parse(two.time), tail: 1 }), ["three\n"]);
      assert.deepEqual(await lines(id, { since: Date.now() + 3_600_000 }), []);
    });

    void it("follows logs until the container exits", async (t) => {
      const id = await run(t, ["sh", "-c", "echo a; sleep 0.05; echo b; exit 0"]);
      assert.deepEqual(await lines(id, { follow: true }), ["a\n", "b\n"]);
      assert.equal((await ex().inspect(id)).status, "stopped", "a follow ends only once the container has exited");

      const live = await run(t, ["sh", "-c", "echo ready; sleep 1000"]);
      const seen: string[] = [];
      let stopping: Promise<unknown> | undefined;
      for await (const e of ex().logs(live, { follow: true })) {
        seen.push(e.line);
        stopping ??= ex().stop(live, { graceMs: 10_000 });
      }
      assert.deepEqual(seen, ["ready\n"]);
      assert.equal(((await stopping) as { exitCode: number }).exitCode, 143);
    });

    void it("ends a follow when its signal aborts", async (t) => {
      const id = await run(t, ["sleep", "1000"]);
      const ac = new AbortController();
      const it = ex().logs(id, { follow: true, signal: ac.signal })[Symbol.asyncIterator]();
      const next = it.next();
      ac.abort();
      assert.equal((await next).done, true);
    });

    void it("creates, mounts and removes volumes; refuses to remove one in use", async (t) => {
      const vol = `${prefix}-vol`;
      t.after(() => ex().volumes.remove(vol).catch(ignoreNotFound));
      const info = await ex().volumes.create(vol, { labels: { owner: "contract" } });
      assert.equal(info.name, vol);
      assert.deepEqual(info.labels, { owner: "contract" });
      assert.deepEqual(await ex().volumes.create(vol), info, "create of an existing name returns it");
      assert.ok((await ex().volumes.list()).some((v) => v.name === vol));

      const auto = `${prefix}-auto`;
      t.after(() => ex().volumes.remove(auto).catch(ignoreNotFound));
      const id = await make(t, ["sh", "-c", "exit 0"], {
        mounts: [
          { type: "volume", source: vol, target: "/data" },
          { type: "volume", source: auto, target: "/more", readOnly: true },
        ],
      });
      assert.equal((await ex().volumes.inspect(auto)).name, auto, "create makes the volumes a spec names");
      await ex().start(id);
      await ex().wait(id);
      await assert.rejects(
        ex().volumes.remove(vol),
        (err: unknown) => err instanceof InUseError && err.users.includes(id),
      );
      await ex().remove(id);
      await ex().volumes.remove(vol);
      await ex().volumes.remove(auto);
      await assert.rejects(
        ex().volumes.inspect(vol),
        (err: unknown) => err instanceof NotFoundError && err.kind === "volume",
      );
      await assert.rejects(ex().volumes.remove(vol), NotFoundError);
    });
  });
}

/** Every entry of a (finite) log stream. */
async function collect(entries: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}

/** Follows the logs of `id` until `line` shows (or fails if the container exits first). */
async function firstLine(executor: Executor, id: string, line: string): Promise<void> {
  const ac = new AbortController();
  try {
    for await (const e of executor.logs(id, { follow: true, signal: ac.signal })) if (e.line === line) return;
  } finally {
    ac.abort();
  }
  assert.fail(`container ${id} exited before printing ${JSON.stringify(line)}`);
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof NotFoundError)) throw err;
}
