import type { LogLine, LogsQuery, Task } from "@shoal/api";
import {
  decode,
  encode,
  LogChunkSchema,
  LogsCancelSchema,
  LogsRequestSchema,
  type BusConnection,
  type LogChunk,
  type Subjects,
} from "@shoal/bus";
import { newSecret } from "../ids.js";
import type { LogSource } from "./handlers.js";

/** Parses `since` as Docker does: RFC 3339, or seconds since the epoch (possibly fractional). */
export function parseSince(since: string | undefined, now: number): number | undefined {
  if (since === undefined || since === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(since)) return Math.round(Number(since) * 1000);
  const rel = /^(\d+)(s|m|h)$/.exec(since);
  if (rel) return now - Number(rel[1]) * ({ s: 1_000, m: 60_000, h: 3_600_000 } as const)[rel[2] as "s" | "m" | "h"];
  const t = Date.parse(since);
  if (Number.isNaN(t))
    throw new Error(`since: ${JSON.stringify(since)} is not a time: use RFC 3339, seconds since the epoch, or 10m`);
  return t;
}

/**
 * Log lines of a task read from its node over the bus: a request on agent.<node>.logs naming a new stream id, then
 * the chunks the agent publishes on agent.<node>.logs.out.<stream id> (subscribed to before asking) until the last
 * one; aborting (the HTTP client went away) cancels a followed stream. The subject is the node's, so only that
 * node's agent can publish chunks on it.
 */
export function busLogSource(bus: BusConnection, s: Subjects, firstChunkTimeoutMs = 5_000): LogSource {
  return async function* (task: Task, q: LogsQuery, signal: AbortSignal): AsyncGenerator<LogLine> {
    if (!task.nodeId) return;
    const nodeId = task.nodeId;
    const streamId = newSecret(16);
    const inbox = s.logsOut(nodeId, streamId);
    const queue: LogChunk[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    const unsub = bus.subscribe(inbox, (m) => {
      try {
        queue.push(decode(LogChunkSchema, inbox, m.data));
      } catch (e) {
        failure = e as Error;
      }
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    const since = parseSince(q.since, Date.now());
    const subject = s.logs(nodeId);
    bus.publish(
      subject,
      encode(LogsRequestSchema, subject, {
        streamId,
        taskId: task.id,
        follow: q.follow ?? false,
        ...(q.tail !== undefined ? { tail: q.tail } : {}),
        ...(since !== undefined ? { since } : {}),
      }),
    );
    let first = true;
    try {
      for (;;) {
        if (queue.length === 0) {
          if (signal.aborted) return;
          if (failure) throw failure;
          const timer = first
            ? setTimeout(
                () => ((failure = new Error(`node ${nodeId} did not answer: is its agent connected?`)), wake?.()),
                firstChunkTimeoutMs,
              )
            : undefined;
          await new Promise<void>((r) => (wake = r));
          clearTimeout(timer);
          continue;
        }
        first = false;
        const chunk = queue.shift() as LogChunk;
        for (const e of chunk.entries) {
          yield {
            taskId: task.id,
            serviceId: task.serviceId,
            nodeId,
            stream: e.stream,
            time: e.time,
            line: e.line,
            ...(task.slot !== undefined ? { slot: task.slot } : {}),
          };
        }
        if (chunk.error) throw new Error(chunk.error);
        if (chunk.end) return;
      }
    } finally {
      unsub();
      signal.removeEventListener("abort", onAbort);
      if (q.follow) {
        const cancel = s.logsCancel(nodeId);
        bus.publish(cancel, encode(LogsCancelSchema, cancel, { streamId }));
      }
    }
  };
}
