// Task logs served over the bus, one-shot and followed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decode, encode, LogChunkSchema, LogsCancelSchema, LogsRequestSchema, type LogChunk } from "@shoal/bus";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";
import { Harness } from "./testing/agent-harness.js";

test("agent: task logs are served over the bus, and an unknown task gets an error", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(
    h.nodeId,
    makeTask("t1", {
      template: { container: { image: "busybox", args: ["sh", "-c", "echo hello; echo oops >&2; sleep 3600"] } },
    }),
  );
  await h.waitState("t1", "running");
  const ask = async (taskId: string): Promise<LogChunk[]> => {
    const bus = h.hub.connect();
    const inbox = h.manager.s.logsOut(h.nodeId, `s-${taskId}`);
    const chunks: LogChunk[] = [];
    const done = new Promise<void>((resolve) =>
      bus.subscribe(inbox, (m) => {
        const c = decode(LogChunkSchema, inbox, m.data);
        chunks.push(c);
        if (c.end) resolve();
      }),
    );
    const subject = h.manager.s.logs(h.nodeId);
    bus.publish(subject, encode(LogsRequestSchema, subject, { streamId: `s-${taskId}`, taskId }));
    await done;
    await bus.close();
    return chunks;
  };
  const chunks = await ask("t1");
  const lines = chunks.flatMap((c) => c.entries.map((e) => `${e.stream}:${e.line}`));
  assert.deepEqual(lines, ["stdout:hello\n", "stderr:oops\n"]);
  assert.equal(chunks.at(-1)?.error, undefined);
  const missing = await ask("nope");
  assert.match(missing.at(-1)?.error ?? "", /no container of task nope/);
});

test("agent: a followed log stream runs until the managers cancel it", async (t) => {
  const h = new Harness(t);
  await h.start();
  h.manager.assign(
    h.nodeId,
    makeTask("t1", {
      template: { container: { image: "busybox", args: ["sh", "-c", "echo one; sleep 1; echo two; sleep 3600"] } },
    }),
  );
  await h.waitState("t1", "running");
  const bus = h.hub.connect();
  t.after(() => bus.close());
  const inbox = h.manager.s.logsOut(h.nodeId, "f1");
  const lines: string[] = [];
  let ended = false;
  bus.subscribe(inbox, (m) => {
    const c = decode(LogChunkSchema, inbox, m.data);
    lines.push(...c.entries.map((e) => e.line));
    ended ||= c.end;
  });
  const subject = h.manager.s.logs(h.nodeId);
  bus.publish(subject, encode(LogsRequestSchema, subject, { streamId: "f1", taskId: "t1", follow: true }));
  await eventually(() => lines.includes("one\n"), "the first line");
  await h.clock.advance(1_000);
  await eventually(() => lines.includes("two\n"), "a line written while following");
  assert.equal(ended, false);
  const cancel = h.manager.s.logsCancel(h.nodeId);
  bus.publish(cancel, encode(LogsCancelSchema, cancel, { streamId: "f1" }));
  await eventually(() => ended, "the end of the stream");
});
