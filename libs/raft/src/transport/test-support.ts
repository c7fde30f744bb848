import { mulberry32 } from "../testing/rng.js";
import { type Message, type NodeId, EntryType, MessageType, msg } from "../core/types.js";
import type { TcpTransportOptions } from "./config.js";
import { TcpTransport } from "./tcp-transport.js";
import type { LogLevel, TransportHandler, TransportLog } from "./transport.js";

/**
 * Helpers for the transport tests: a seeded PRNG, a handler that records what it sees and lets a test await
 * a condition with a deadline, a capturing logger, and messages of every field shape.
 */

/** A small seeded PRNG (mulberry32) returning floats in [0, 1). */
export const seededRandom = mulberry32;

/** Resolves when `cond()` becomes true on a later poke; rejects with `label` after `timeoutMs`. */
class Waiters {
  private list: { cond: () => boolean; resolve: () => void }[] = [];

  until(label: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = {
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.list = this.list.filter((w) => w !== entry);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${label}`));
      }, timeoutMs);
      this.list.push(entry);
    });
  }

  poke(): void {
    const ready = this.list.filter((w) => w.cond());
    this.list = this.list.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

/** A {@link TransportHandler} that records every callback. */
export class Recorder implements TransportHandler {
  readonly messages: Message[] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshotStatus: { peer: NodeId; ok: boolean }[] = [];
  private readonly waiters = new Waiters();

  onMessage(m: Message): void {
    this.messages.push(m);
    this.waiters.poke();
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
    this.waiters.poke();
  }

  onSnapshotStatus(peer: NodeId, ok: boolean): void {
    this.snapshotStatus.push({ peer, ok });
    this.waiters.poke();
  }

  /** Resolves once `cond()` holds after some callback; fails the test after `timeoutMs`. */
  until(label: string, cond: () => boolean, timeoutMs?: number): Promise<void> {
    return this.waiters.until(label, cond, timeoutMs);
  }
}

/** A logger that keeps every line, for asserting that a reason was logged. */
export class LogCapture {
  readonly lines: { level: LogLevel; msg: string; fields: Readonly<Record<string, unknown>> }[] = [];
  private readonly waiters = new Waiters();
  readonly log: TransportLog = (level, msg, fields = {}) => {
    this.lines.push({ level, msg, fields });
    this.waiters.poke();
  };

  /** Whether some line's message and reason field contain both substrings. */
  has(msgPart: string, reasonPart = ""): boolean {
    return this.lines.some((l) => {
      const reason = l.fields["reason"];
      const reasonMatches = reasonPart === "" || (typeof reason === "string" && reason.includes(reasonPart));
      return l.msg.includes(msgPart) && reasonMatches;
    });
  }

  /** Resolves once {@link has} holds; fails after `timeoutMs`. */
  until(msgPart: string, reasonPart = "", timeoutMs?: number): Promise<void> {
    return this.waiters.until(`log "${msgPart}" / "${reasonPart}"`, () => this.has(msgPart, reasonPart), timeoutMs);
  }
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Messages from `from` to `to` covering every field shape: entries, context, reject, large numbers. */
export function sampleMessages(from: NodeId, to: NodeId): Message[] {
  return [
    msg({
      type: MessageType.App,
      from,
      to,
      term: 7,
      logTerm: 6,
      index: 41,
      commit: 40,
      entries: [
        { term: 7, index: 42, type: EntryType.Normal, data: new Uint8Array(0) },
        { term: 7, index: 43, type: EntryType.ConfChange, data: bytes(0, 4, 0) },
        { term: 7, index: 44, type: EntryType.Normal, data: new Uint8Array(70_000).fill(0xab) },
      ],
    }),
    msg({ type: MessageType.AppResp, from, to, term: 7, index: 44, reject: true, rejectHint: 12 }),
    msg({ type: MessageType.ReadIndex, from, to, term: 7, context: bytes(1, 2, 3, 255) }),
    msg({ type: MessageType.Heartbeat, from, to, term: Number.MAX_SAFE_INTEGER, commit: 2 ** 40 }),
    msg({ type: MessageType.PreVote, from, to, term: 8, logTerm: 7, index: 44 }),
  ];
}

/** A MsgSnap carrying `data` and a membership with voters, learners and removed ids. */
export function snapMessage(from: NodeId, to: NodeId, data: Uint8Array): Message {
  return msg({
    type: MessageType.Snap,
    from,
    to,
    term: 9,
    snapshot: { meta: { index: 500, term: 8, conf: { voters: [1, 2, 3], learners: [4], removed: [5] } }, data },
  });
}

/** A heartbeat with `commit` as a sequence number. */
export function heartbeat(from: NodeId, to: NodeId, seq: number): Message {
  return msg({ type: MessageType.Heartbeat, from, to, term: 3, commit: seq });
}

/** Bytes filled from a seeded PRNG. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** A started TCP transport with its recorder and log. */
export interface TestNode {
  readonly id: NodeId;
  readonly transport: TcpTransport;
  readonly recorder: Recorder;
  readonly logs: LogCapture;
}

/** Starts a TcpTransport on 127.0.0.1, port 0 unless given, with fast reconnects. */
export async function startNode(id: NodeId, options: Partial<TcpTransportOptions> = {}): Promise<TestNode> {
  const logs = new LogCapture();
  const recorder = new Recorder();
  const transport = new TcpTransport({
    nodeId: id,
    clusterId: "test-cluster",
    host: "127.0.0.1",
    port: 0,
    backoff: { baseMs: 10, maxMs: 50, random: seededRandom(id) },
    log: logs.log,
    ...options,
  });
  await transport.start(recorder);
  return { id, transport, recorder, logs };
}

/** Starts one transport per id and makes every node a peer of every other. */
export async function startCluster(
  ids: readonly NodeId[],
  options: Partial<TcpTransportOptions> = {},
): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (const id of ids) nodes.push(await startNode(id, options));
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, b.transport.address);
  return nodes;
}

/** Closes every node, even if some fail to close. */
export async function closeAll(nodes: readonly (TestNode | undefined)[]): Promise<void> {
  await Promise.allSettled(nodes.flatMap((n) => (n ? [n.transport.close()] : [])));
}
