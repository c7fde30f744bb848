import type { FastifyReply, FastifyRequest } from "fastify";
import type { PublicKind, StoreEvent } from "@shoal/store";
import { logTasks, readState, type ApiContext, type Parsed } from "./handlers.js";

/** An event of the event stream: a change of a public object. */
export interface ApiEvent {
  index: number;
  op: StoreEvent["op"];
  kind: PublicKind;
  id: string;
  object: unknown;
}

/** `GET /v1/events`: the events after `since` from the ring, then live ones, as server-sent events. */
export function streamEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  q: { since?: number; kind?: string },
  history: ApiEvent[],
  listeners: Set<(e: ApiEvent[]) => void>,
): FastifyReply {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send = (events: ApiEvent[]) => {
    for (const e of events)
      if (!q.kind || e.kind === q.kind) res.write(`id: ${e.index}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  if (q.since !== undefined) send(history.filter((e) => e.index > (q.since ?? 0)));
  res.write(": connected\n\n");
  listeners.add(send);
  const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
  req.raw.on("close", () => {
    clearInterval(ping);
    listeners.delete(send);
  });
  return reply;
}

/** The logs of a service's or a task's tasks, as newline-delimited JSON, until the client goes. */
export async function streamLogs(
  o: ApiContext,
  req: FastifyRequest,
  reply: FastifyReply,
  name: "serviceLogs" | "taskLogs",
  input: Parsed<"taskLogs">,
): Promise<FastifyReply> {
  const state = await readState(o);
  const tasks = logTasks(state, name, input.params.ref);
  const ac = new AbortController();
  req.raw.on("close", () => ac.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-cache" });
  await Promise.all(
    tasks.map(async (t) => {
      try {
        for await (const line of o.logs(t, input.query, ac.signal)) {
          if (ac.signal.aborted) break;
          res.write(`${JSON.stringify(line)}\n`);
        }
      } catch (e) {
        if (!ac.signal.aborted) {
          res.write(
            `${JSON.stringify({ taskId: t.id, serviceId: t.serviceId, nodeId: t.nodeId ?? "", stream: "stderr", time: new Date().toISOString(), line: `[shoal] cannot read logs of task ${t.id}: ${(e as Error).message}`, ...(t.slot !== undefined ? { slot: t.slot } : {}) })}\n`,
          );
        }
      }
    }),
  );
  res.end();
  return reply;
}
