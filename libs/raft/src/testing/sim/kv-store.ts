import type { KvCasOutput, KvInput, KvPutOutput } from "../linearizability/index.js";

/** A write a client asks the cluster to replicate: `put` or `cas`, tagged with the client's session and request id. */
export interface KvCommand {
  readonly client: number;
  /** Increasing per client; a client has at most one request outstanding. */
  readonly req: number;
  readonly input: Extract<KvInput, { op: "put" } | { op: "cas" }>;
}

/** What a write returned. */
export type KvWriteOutput = KvPutOutput | KvCasOutput;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encodes a command as the data of a log entry. */
export function encodeCommand(cmd: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(cmd));
}

/** Decodes the data of a log entry written by {@link encodeCommand}. */
export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand;
}

interface Session {
  req: number;
  output: KvWriteOutput;
}

interface SnapshotBody {
  data: [string, string][];
  sessions: [number, Session][];
}

/**
 * The replicated key-value store of the simulation: the state machine each node applies committed entries to.
 * Writes are deduplicated per client session (the last request id and its result), so a request that reaches
 * the log twice (a retry, or a duplicated forwarded proposal) takes effect once and both copies answer the same.
 */
export class KvStore {
  private data = new Map<string, string>();
  private sessions = new Map<number, Session>();

  /**
   * Applies a committed command. Returns its output, the cached output for a duplicate of the session's last
   * request, or null for a request older than that (abandoned by its client: it never takes effect).
   */
  apply(cmd: KvCommand): KvWriteOutput | null {
    const s = this.sessions.get(cmd.client);
    if (s !== undefined && cmd.req <= s.req) return cmd.req === s.req ? s.output : null;
    let output: KvWriteOutput;
    const { input } = cmd;
    if (input.op === "put") {
      this.data.set(input.key, input.value);
      output = {};
    } else {
      const ok = (this.data.get(input.key) ?? null) === input.expected;
      if (ok) this.data.set(input.key, input.value);
      output = { ok };
    }
    this.sessions.set(cmd.client, { req: cmd.req, output });
    return output;
  }

  /** The value of `key`, null when absent. */
  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** The whole state, serialized deterministically (keys sorted). */
  snapshot(): Uint8Array {
    return enc.encode(this.digest());
  }

  /** Replaces the whole state with a snapshot's (empty bytes: the empty store). */
  restore(bytes: Uint8Array): void {
    this.data = new Map();
    this.sessions = new Map();
    if (bytes.length === 0) return;
    const body = JSON.parse(dec.decode(bytes)) as SnapshotBody;
    this.data = new Map(body.data);
    this.sessions = new Map(body.sessions);
  }

  /** A string equal for two stores exactly when their states are equal. */
  digest(): string {
    const body: SnapshotBody = {
      data: [...this.data].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      sessions: [...this.sessions].sort((a, b) => a[0] - b[0]),
    };
    return JSON.stringify(body);
  }
}
