import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decode,
  encode,
  LogChunkSchema,
  LogsRequestSchema,
  MemoryBusHub,
  natsPermissions,
  subjects,
  type LogChunk,
} from "@shoal/bus";
import type { LogsQuery, Task } from "@shoal/api";
import { busLogSource } from "./bus-logs.js";

const s = subjects("c1");
const task = { id: "t1", serviceId: "web", slot: 1, nodeId: "n1" } as Task;

/** The agent's side of a log stream, on a connection with node n1's permissions: answers with `chunks`. */
function agent(hub: MemoryBusHub, chunks: Omit<LogChunk, "streamId">[]): string[] {
  const bus = hub.connect({ permissions: natsPermissions("c1", "n1"), inboxPrefix: s.inboxPrefix("n1") });
  const asked: string[] = [];
  bus.subscribe(s.logs("n1"), (m) => {
    const req = decode(LogsRequestSchema, s.logs("n1"), m.data);
    asked.push(req.taskId);
    const out = s.logsOut("n1", req.streamId);
    for (const c of chunks) bus.publish(out, encode(LogChunkSchema, out, { ...c, streamId: req.streamId }));
  });
  return asked;
}

async function lines(hub: MemoryBusHub, q: LogsQuery = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const l of busLogSource(hub.connect(), s, 500)(task, q, new AbortController().signal))
    out.push(`${l.nodeId}/${l.stream}:${l.line}`);
  return out;
}

test("bus logs: the node's agent answers on its own logs.out subject, which the permissions allow it", async () => {
  const hub = new MemoryBusHub();
  const time = "2026-12-07T00:00:00.000Z";
  const asked = agent(hub, [
    { entries: [{ time, stream: "stdout", line: "one\n" }], end: false },
    { entries: [{ time, stream: "stderr", line: "two\n" }], end: true },
  ]);
  assert.deepEqual(await lines(hub), ["n1/stdout:one\n", "n1/stderr:two\n"]);
  assert.deepEqual(asked, ["t1"]);
  assert.deepEqual(hub.refusals, []);
});

test("bus logs: an agent error ends the stream with it, and no answer times out naming the node", async () => {
  const hub = new MemoryBusHub();
  agent(hub, [{ entries: [], end: true, error: "no container of task t1 on this node" }]);
  await assert.rejects(lines(hub), /no container of task t1/);
  await assert.rejects(lines(new MemoryBusHub()), /node n1 did not answer/);
});
