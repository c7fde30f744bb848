import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { RaftCorruptionError } from "../errors.js";
import { type Frame, FrameDecoder } from "./frame.js";
import type { TransportLog } from "./transport.js";

/** Settings of a {@link FrameConnection}. */
export interface FrameConnectionOptions {
  readonly maxFrameBytes: number;
  readonly log: TransportLog;
  /** Fields added to this connection's log lines (peer id, channel, remote address). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** How long a graceful {@link FrameConnection.end} waits for the peer before destroying the socket. */
const END_GRACE_MS = 2000;

/**
 * A byte stream carrying frames: decodes what arrives, hands each frame to `onFrame`, and turns every failure
 * (socket error, bad frame, a handler throwing) into one close with a logged reason. `onClose` runs exactly
 * once, whoever closed. Never throws into the event loop.
 */
export class FrameConnection {
  /** Receives each frame in order; throwing closes the connection (throw {@link RaftCorruptionError}). */
  onFrame: (frame: Frame) => void = (f) => {
    throw new RaftCorruptionError(`raft: unexpected frame type ${f.type}`);
  };
  /** Runs once when the connection is gone, with the reason. */
  onClose: (reason: string) => void = () => {};

  private readonly decoder: FrameDecoder;
  private state: "open" | "ending" | "closed" = "open";
  private reason: string | null = null;
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Duplex,
    private readonly options: FrameConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    if (socket instanceof Socket) socket.setKeepAlive(true, 10_000);
    // Plain Uint8Array views, not Buffers, so that decoded messages look the same as the ones sent.
    socket.on("data", (chunk: Uint8Array) =>
      this.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
    );
    socket.on("error", (err: Error) => this.fail(`socket error: ${err.message}`, "debug"));
    socket.on("close", () => this.finish(this.reason ?? "connection closed by the peer"));
  }

  /** Whether the connection is ending or closed: nothing more is read or written. */
  get isClosed(): boolean {
    return this.state !== "open";
  }

  /** Changes the largest frame accepted from now on (see {@link FrameDecoder.setMaxFrameBytes}). */
  setMaxFrameBytes(limit: number): void {
    this.decoder.setMaxFrameBytes(limit);
  }

  /** Total bytes allocated to reassemble received frames (for tests and metrics). */
  get allocatedBytes(): number {
    return this.decoder.allocatedBytes;
  }

  /** Writes bytes; false means the socket's buffer is full (backpressure) or the connection is closed. */
  write(data: Uint8Array): boolean {
    if (this.state !== "open") return false;
    return this.socket.write(data);
  }

  /** Calls `cb` once the socket's buffer drains. Never called if the connection closes first. */
  whenDrained(cb: () => void): void {
    this.socket.once("drain", cb);
  }

  /** Closes at once, discarding unsent bytes. */
  close(reason: string): void {
    if (this.state === "closed") return;
    this.reason ??= reason;
    this.socket.destroy();
    this.finish(this.reason);
  }

  /** Writes `last` (if any), then closes gracefully so that the peer reads it. */
  end(last: Uint8Array | null, reason: string): void {
    if (this.state !== "open") return;
    this.state = "ending";
    this.reason = reason;
    if (last) this.socket.write(last);
    this.socket.end();
    this.graceTimer = setTimeout(() => this.close(reason), END_GRACE_MS);
    this.graceTimer.unref();
  }

  private receive(chunk: Uint8Array): void {
    if (this.state !== "open") return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        this.onFrame(frame);
        if (this.state !== "open") return;
      }
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err), "warn");
    }
  }

  private fail(reason: string, level: "debug" | "warn"): void {
    if (this.state === "closed") return;
    this.options.log(level, "raft: closing transport connection", { ...this.options.fields, reason });
    this.close(reason);
  }

  private finish(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.onClose(reason);
  }
}
