import { randomInt } from "node:crypto";
import type { Socket } from "node:net";
import { InvalidSpecError } from "../errors.js";
import { parseIpv4 } from "../ipv4.js";
import { bindUdpAndTcp } from "./bind.js";
import { forward } from "./forward.js";
import { decide, type DecideContext, type DnsLookup, type DnsReverseLookup } from "./resolve.js";
import { FrameReader, frame } from "./tcp-frames.js";
import { parseUpstream, type Upstream } from "./upstreams.js";

/** How to start the node's DNS server. */
export interface DnsServerOptions {
  /** The IPv4 address to listen on (the bridge's gateway). */
  address: string;
  /** Default 53; 0 picks a free port (tests). */
  port?: number;
  lookup: DnsLookup;
  reverse?: DnsReverseLookup;
  /** "a.b.c.d" or "a.b.c.d:port", asked in order. */
  upstreams: string[];
  /** How long each upstream has to answer; default 2000. */
  forwardTimeoutMs?: number;
  log?: { readonly warn: (msg: string, fields?: Record<string, unknown>) => void };
  /** A number in [0, 1) for shuffling answers; default Math.random. */
  random?: () => number;
  /** TTL of PTR answers from `reverse`; default 30 (task addresses are handed out again soon after). */
  reverseTtl?: number;
  /** Most forwarded queries in flight; more get SERVFAIL at once. Default 1024. */
  maxForwards?: number;
  /** A TCP connection with no query for this long is closed; default 10000. */
  tcpIdleMs?: number;
}

/** A running DNS server. */
export interface DnsServer {
  readonly address: string;
  readonly port: number;
  /** Closes the UDP socket, the TCP listener and every open connection, and abandons forwards in flight. */
  readonly close: () => Promise<void>;
}

const DEFAULT_PORT = 53;
const DEFAULT_FORWARD_TIMEOUT_MS = 2000;
const DEFAULT_REVERSE_TTL = 30;
const DEFAULT_MAX_FORWARDS = 1024;
const DEFAULT_TCP_IDLE_MS = 10_000;
/** Past this many open TCP connections, new ones are refused (a stub resolver holds one for a few queries). */
const MAX_TCP_CONNECTIONS = 512;
/** While the upstreams are unreachable every miss fails; one warning per this interval says so. */
const NO_ANSWER_WARNING_INTERVAL_MS = 10_000;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}

function checkOptions(o: DnsServerOptions): Upstream[] {
  if (parseIpv4(o.address) === undefined) {
    throw new InvalidSpecError("address", `${JSON.stringify(o.address)} is not an IPv4 address such as "10.211.0.1"`);
  }
  const port = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidSpecError("port", `${String(port)} is not a port from 0 to 65535`);
  }
  const timeout = o.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  if (!(timeout > 0))
    throw new InvalidSpecError("forwardTimeoutMs", `${String(timeout)} is not a positive number of milliseconds`);
  return o.upstreams.map(parseUpstream);
}

/**
 * Starts the node's DNS server on `address`, over UDP and TCP on the same port. Cluster names come from
 * `lookup` and `reverse`; every other query goes to the upstreams (see docs/architecture.md, Networking).
 * Rejects with InvalidSpecError for bad options, or the socket error when the address cannot be bound.
 */
export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const parsedUpstreams = checkOptions(o);
  const { udp, tcp } = await bindUdpAndTcp(o.address, o.port ?? DEFAULT_PORT);
  const port = udp.address().port;
  tcp.maxConnections = MAX_TCP_CONNECTIONS;
  // Never forward to ourselves: a resolv.conf naming this server would make every miss loop.
  const upstreams = parsedUpstreams.filter((u) => !(u.host === o.address && u.port === port));
  const aborter = new AbortController();
  const connections = new Set<Socket>();
  const warn = (msg: string, fields?: Record<string, unknown>): void => {
    o.log?.warn(msg, fields);
  };
  const timeoutMs = o.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  const maxForwards = o.maxForwards ?? DEFAULT_MAX_FORWARDS;
  const tcpIdleMs = o.tcpIdleMs ?? DEFAULT_TCP_IDLE_MS;
  const base = {
    lookup: o.lookup,
    reverse: o.reverse,
    random: o.random ?? Math.random,
    reverseTtl: o.reverseTtl ?? DEFAULT_REVERSE_TTL,
  };
  let forwarding = 0;
  let lastNoAnswerWarning = -Infinity;
  let unanswered = 0;

  /** Warns that no upstream answered, at most once per interval, with how many went unanswered in it. */
  function noAnswerWarning(name: string | undefined): void {
    unanswered++;
    const now = Date.now();
    if (now - lastNoAnswerWarning < NO_ANSWER_WARNING_INTERVAL_MS) return;
    lastNoAnswerWarning = now;
    warn("dns: no upstream resolver answered; answered SERVFAIL", {
      name,
      unanswered,
      upstreams: upstreams.map((u) => `${u.host}:${String(u.port)}`),
    });
    unanswered = 0;
  }

  /** The response to one query, or undefined for none. Never throws. */
  async function respond(bytes: Buffer, client: string, transport: "udp" | "tcp"): Promise<Buffer | undefined> {
    const ctx: DecideContext = { ...base, client, transport };
    let decision;
    try {
      decision = decide(bytes, ctx);
    } catch (err) {
      warn("dns: a query could not be handled", { client, err: describe(err) });
      return undefined;
    }
    if (decision.kind === "drop") return undefined;
    if (decision.kind === "reply") {
      if (decision.failure !== undefined) {
        warn("dns: the name lookup failed; answered SERVFAIL", { client, err: describe(decision.failure) });
      }
      return decision.response;
    }
    if (upstreams.length === 0 || forwarding >= maxForwards) return decision.servfail;
    forwarding++;
    try {
      const answer = await forward(bytes, {
        upstreams,
        transport,
        timeoutMs,
        signal: aborter.signal,
        newId: () => randomInt(0x10000),
      });
      if (answer !== undefined) return answer;
      if (!aborter.signal.aborted) noAnswerWarning(decision.query.question.name);
      return decision.servfail;
    } catch (err) {
      warn("dns: forwarding failed; answered SERVFAIL", { client, err: describe(err) });
      return decision.servfail;
    } finally {
      forwarding--;
    }
  }

  /** Answers one query through `send` unless there is nothing to send or the server is closing. */
  function serve(bytes: Buffer, client: string, transport: "udp" | "tcp", send: (response: Buffer) => void): void {
    respond(bytes, client, transport)
      .then((response) => {
        if (response !== undefined && !aborter.signal.aborted) send(response);
      })
      .catch((err: unknown) => {
        warn("dns: an answer could not be sent", { client, err: describe(err) });
      });
  }

  udp.on("message", (msg, rinfo) => {
    serve(msg, rinfo.address, "udp", (response) => {
      udp.send(response, rinfo.port, rinfo.address, (err) => {
        if (err) warn("dns: an answer could not be sent", { client: rinfo.address, err: err.message });
      });
    });
  });
  udp.on("error", (err) => {
    warn("dns: UDP socket error", { err: err.message });
  });

  tcp.on("connection", (socket) => {
    connections.add(socket);
    const client = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const reader = new FrameReader();
    socket.setTimeout(tcpIdleMs);
    socket.on("timeout", () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => connections.delete(socket));
    socket.on("data", (chunk) => {
      for (const msg of reader.push(chunk)) {
        // Several queries may be in flight on one connection; answers go back as they are ready (RFC 7766).
        serve(msg, client, "tcp", (response) => {
          if (!socket.destroyed) socket.write(frame(response));
        });
      }
    });
  });
  tcp.on("error", (err) => {
    warn("dns: TCP listener error", { err: err.message });
  });

  let closing: Promise<void> | undefined;
  return {
    address: o.address,
    port,
    close: () => {
      closing ??= (async () => {
        aborter.abort();
        const tcpClosed = new Promise<void>((resolve) => tcp.close(() => resolve()));
        for (const socket of connections) socket.destroy();
        const udpClosed = new Promise<void>((resolve) => udp.close(() => resolve()));
        await Promise.all([tcpClosed, udpClosed]);
      })();
      return closing;
    },
  };
}
