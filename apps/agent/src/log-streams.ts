import {
  decode,
  encode,
  LogChunkSchema,
  LogsCancelSchema,
  LogsRequestSchema,
  type BusConnection,
  type LogChunk,
  type LogsRequest,
  type Subjects,
} from "@shoal/bus";
import type { Executor } from "@shoal/runtime";
import type { AgentLog } from "./log.js";

/** A chunk's encoded size stays under this (the protocol's limit is 64 KiB; the rest is the envelope). */
const CHUNK_BYTES = 60 * 1024;
/** Entries of a followed stream wait at most this long to be sent together. */
const FOLLOW_FLUSH_MS = 50;

type ChunkEntry = LogChunk["entries"][number];

/**
 * Splits log entries into chunk-sized groups: each group's lines add up to at most `maxBytes` (UTF-8, plus a
 * small per-entry overhead), and a line longer than that is cut into pieces. Pure.
 */
export function chunkEntries(entries: readonly ChunkEntry[], maxBytes = CHUNK_BYTES): ChunkEntry[][] {
  const out: ChunkEntry[][] = [];
  let cur: ChunkEntry[] = [];
  let size = 0;
  const overhead = 64;
  for (const e of entries) {
    for (const piece of splitLine(e.line, maxBytes - overhead)) {
      const bytes = Buffer.byteLength(JSON.stringify(piece)) + overhead;
      if (cur.length > 0 && size + bytes > maxBytes) {
        out.push(cur);
        cur = [];
        size = 0;
      }
      cur.push({ ...e, line: piece });
      size += bytes;
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function splitLine(line: string, maxBytes: number): string[] {
  if (Buffer.byteLength(JSON.stringify(line)) <= maxBytes) return [line];
  // JSON escaping can grow a character to 6 bytes: cut by characters, conservatively.
  const step = Math.max(1, Math.floor(maxBytes / 6));
  const pieces: string[] = [];
  for (let i = 0; i < line.length; i += step) pieces.push(line.slice(i, i + step));
  return pieces;
}

export interface LogStreamsOptions {
  bus: BusConnection;
  subjects: Subjects;
  executor: Executor;
  /** Whether the task's container exists on this node. */
  hasTask: (taskId: string) => Promise<boolean>;
  log: AgentLog;
}

/**
 * Serves task logs over the bus: a LogsRequest on agent.<node>.logs gets LogChunk messages on
 * agent.<node>.logs.out.<stream id> (the node's own subject, the only kind it may publish to), the last with `end`
 * (or `error`); a followed stream runs until the container ends, the managers cancel it on
 * agent.<node>.logs.cancel, or the agent stops.
 */
export class LogStreams {
  private readonly streams = new Map<string, AbortController>();
  private unsubs: (() => void)[] = [];

  constructor(private readonly o: LogStreamsOptions) {}

  /** Listens for the node's log requests (again, for a new node id). */
  listen(nodeId: string): void {
    this.unlisten();
    const subject = this.o.subjects.logs(nodeId);
    const cancelSubject = this.o.subjects.logsCancel(nodeId);
    this.unsubs = [
      this.o.bus.subscribe(subject, (m) => {
        let req: LogsRequest;
        try {
          req = decode(LogsRequestSchema, subject, m.data);
        } catch (e) {
          this.o.log.warn("bad logs request", { error: e });
          return;
        }
        void this.serve(req, this.o.subjects.logsOut(nodeId, req.streamId));
      }),
      this.o.bus.subscribe(cancelSubject, (m) => {
        try {
          this.streams.get(decode(LogsCancelSchema, cancelSubject, m.data).streamId)?.abort();
        } catch (e) {
          this.o.log.warn("bad logs cancel", { error: e });
        }
      }),
    ];
  }

  /** Stops listening and ends every stream. */
  close(): void {
    this.unlisten();
    for (const ac of this.streams.values()) ac.abort();
    this.streams.clear();
  }

  private unlisten(): void {
    for (const u of this.unsubs.splice(0)) u();
  }

  private send(out: string, chunk: LogChunk): void {
    try {
      this.o.bus.publish(out, encode(LogChunkSchema, out, chunk));
    } catch (e) {
      this.o.log.warn("cannot send log chunk", { error: e });
    }
  }

  private async serve(req: LogsRequest, out: string): Promise<void> {
    const streamId = req.streamId;
    if (!(await this.o.hasTask(req.taskId).catch(() => false))) {
      this.send(out, { streamId, entries: [], end: true, error: `no container of task ${req.taskId} on this node` });
      return;
    }
    const ac = new AbortController();
    this.streams.set(streamId, ac);
    let buffered: ChunkEntry[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      for (const entries of chunkEntries(buffered)) this.send(out, { streamId, entries, end: false });
      buffered = [];
    };
    let error: string | undefined;
    try {
      const entries = this.o.executor.logs(req.taskId, {
        follow: req.follow,
        signal: ac.signal,
        ...(req.tail === undefined ? {} : { tail: req.tail }),
        ...(req.since === undefined ? {} : { since: req.since }),
      });
      for await (const e of entries) {
        buffered.push({ time: e.time, stream: e.stream, line: e.line });
        if (buffered.length >= 1_000) flush();
        else if (req.follow) timer ??= setTimeout(flush, FOLLOW_FLUSH_MS);
      }
    } catch (e) {
      if (!ac.signal.aborted) error = (e as Error).message;
    } finally {
      this.streams.delete(streamId);
      clearTimeout(timer);
    }
    const groups = chunkEntries(buffered);
    const last = groups.pop() ?? [];
    for (const entries of groups) this.send(out, { streamId, entries, end: false });
    this.send(out, { streamId, entries: last, end: true, ...(error === undefined ? {} : { error }) });
  }
}
