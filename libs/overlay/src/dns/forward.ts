import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { answers, withId } from "./message.js";
import { FrameReader, frame } from "./tcp-frames.js";
import type { Upstream } from "./upstreams.js";

/** How forward() sends a query on. */
export interface ForwardOptions {
  readonly upstreams: readonly Upstream[];
  readonly transport: "udp" | "tcp";
  /** How long each upstream has to answer (TCP: connect and answer). */
  readonly timeoutMs: number;
  /** Aborts every exchange in progress (the server closing). */
  readonly signal: AbortSignal;
  /** A fresh query id for each upstream exchange, so an off-path answer has to guess it. */
  readonly newId: () => number;
}

/**
 * Sends a query to the upstreams in order, each with its own timeout, and returns the first answer that
 * matches it (same id and question), with the client's id put back; undefined when none answered in time.
 * Answers are passed on as they are, whatever their rcode.
 */
export async function forward(query: Buffer, o: ForwardOptions): Promise<Buffer | undefined> {
  const clientId = query.readUInt16BE(0);
  for (const upstream of o.upstreams) {
    if (o.signal.aborted) return undefined;
    const sent = withId(query, o.newId());
    const ask = o.transport === "udp" ? askUdp : askTcp;
    const answer = await ask(sent, upstream, o);
    if (answer !== undefined) return withId(answer, clientId);
  }
  return undefined;
}

/** Runs one exchange until `done` is called, the timeout passes or the signal aborts; cleans up after. */
function exchange(
  o: ForwardOptions,
  start: (done: (answer?: Buffer) => void) => () => void,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let finished = false;
    let cleanup = (): void => undefined;
    const done = (answer?: Buffer): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      o.signal.removeEventListener("abort", onAbort);
      cleanup();
      resolve(answer);
    };
    const onAbort = (): void => {
      done();
    };
    const timer = setTimeout(done, o.timeoutMs);
    o.signal.addEventListener("abort", onAbort);
    cleanup = start(done);
    if (finished) cleanup();
  });
}

/** One UDP exchange on a connected socket of its own (a random source port; replies from others are refused). */
function askUdp(query: Buffer, upstream: Upstream, o: ForwardOptions): Promise<Buffer | undefined> {
  return exchange(o, (done) => {
    const socket = createSocket("udp4");
    socket.on("message", (msg) => {
      if (answers(msg, query)) done(msg);
    });
    // An ICMP port unreachable shows as ECONNREFUSED on a connected socket: try the next upstream at once.
    socket.on("error", () => {
      done();
    });
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(query, (err) => {
        if (err) done();
      });
    });
    return () => {
      socket.close();
    };
  });
}

/** One TCP exchange on a connection of its own. */
function askTcp(query: Buffer, upstream: Upstream, o: ForwardOptions): Promise<Buffer | undefined> {
  return exchange(o, (done) => {
    const reader = new FrameReader();
    const socket = connect({ host: upstream.host, port: upstream.port }, () => {
      socket.write(frame(query));
    });
    socket.on("data", (chunk) => {
      for (const msg of reader.push(chunk)) if (answers(msg, query)) done(msg);
    });
    socket.on("error", () => {
      done();
    });
    socket.on("close", () => {
      done();
    });
    return () => {
      socket.destroy();
    };
  });
}
