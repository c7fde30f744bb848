import type { PeerCertificate } from "node:tls";
import { connect, createInbox, ErrorCode, Events, type NatsConnection, type NatsError } from "nats";
import type { BusConnection, BusMessage, BusStatus } from "./connection.js";
import { BusNoRespondersError, BusPermissionError, BusTimeoutError } from "./errors.js";

/** The client side of the bus's mutual TLS. */
export interface NatsBusTls {
  /** This process's certificate chain (PEM, leaf first) and key; nats.js reads them again at every reconnect. */
  certFile: string;
  keyFile: string;
  /** The cluster's trust bundle (PEM roots). */
  caFile: string;
  /**
   * Which server certificates to accept (by Shoal identity: `identityCheck(anyManagerOf(cluster))`). Required:
   * without it Node checks a host name nats.js does not pass, and nats.js throws the refusal where nothing
   * catches it, which ends the process (docs/design/trust.md §3.3).
   */
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

export interface NatsBusOptions {
  /** `nats://host:port` URLs; the client fails over between them. */
  servers: readonly string[];
  /** Mutual TLS: the server maps the certificate's identity to its NATS user and that user's permissions. */
  tls: NatsBusTls;
  /** The prefix of request inboxes; an agent's must be its node's (`subjects(c).inboxPrefix(node)`). */
  inboxPrefix?: string;
  /** Shows in the server's connection list. */
  name: string;
  /** How long the first connect may take before failing; default 5 s. */
  connectTimeoutMs?: number;
}

/**
 * The real bus: a NATS client connection over TLS 1.3 with this process's certificate, that reconnects forever
 * (the agent must outlive its managers' outages) to the servers it was given only (`ignoreClusterUpdates`: a
 * server's gossip cannot send it elsewhere), and reports its status and the server's permission refusals.
 */
export async function connectNatsBus(o: NatsBusOptions): Promise<BusConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...o.servers],
      tls: {
        certFile: o.tls.certFile,
        keyFile: o.tls.keyFile,
        caFile: o.tls.caFile,
        // Spread by nats.js into tls.connect (node_transport.js), as is minVersion.
        ...({ minVersion: "TLSv1.3", checkServerIdentity: o.tls.checkServerIdentity } as object),
      },
      ...(o.inboxPrefix ? { inboxPrefix: o.inboxPrefix } : {}),
      ignoreClusterUpdates: true,
      name: o.name,
      timeout: o.connectTimeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 5_000,
      maxPingOut: 2,
      waitOnFirstConnect: false,
    });
  } catch (e) {
    const err = e as NatsError;
    if (String(err.code) === String(ErrorCode.AuthorizationViolation))
      throw new Error(
        `bus: ${o.servers.join(", ")} refused the certificate in ${o.tls.certFile}: the cluster no longer has this node (or this manager), or the certificate is not the cluster's; join again`,
      );
    const cause = (err as { chainedError?: Error }).chainedError ?? err.cause;
    throw new Error(
      `bus: cannot connect to ${o.servers.join(", ")}: ${err.message}${cause instanceof Error ? ` (${cause.message})` : ""}`,
    );
  }
  return wrap(nc, o.inboxPrefix);
}

function wrap(nc: NatsConnection, inboxPrefix?: string): BusConnection {
  const statusFns = new Set<(s: BusStatus) => void>();
  const refusalFns = new Set<(e: BusPermissionError) => void>();
  void (async () => {
    for await (const s of nc.status()) {
      const ctx = (s as { permissionContext?: { operation: string; subject: string } }).permissionContext;
      if (String(s.type) === String(Events.Error) && ctx) {
        const e = new BusPermissionError(ctx.operation === "publish" ? "publish" : "subscribe", ctx.subject);
        for (const f of refusalFns) f(e);
        continue;
      }
      const mapped: BusStatus | undefined =
        String(s.type) === String(Events.Disconnect)
          ? "disconnected"
          : String(s.type) === String(Events.Reconnect)
            ? "connected"
            : String(s.type) === "reconnecting"
              ? "reconnecting"
              : undefined;
      if (mapped) for (const f of statusFns) f(mapped);
    }
  })().catch(() => undefined);
  void nc.closed().then((err) => {
    // Accepted once, then refused on every reconnect (nats.js gives up after two in a row): the servers reloaded
    // without this certificate's user.
    if (err && String((err as NatsError).code) === String(ErrorCode.AuthorizationViolation))
      for (const f of statusFns) f("refused");
    for (const f of statusFns) f("closed");
  });

  return {
    publish: (subject, data, reply) => nc.publish(subject, data, reply ? { reply } : undefined),
    subscribe: (subject, handler, opts = {}) => {
      const sub = nc.subscribe(subject, {
        ...(opts.queue ? { queue: opts.queue } : {}),
        callback: (err, m) => {
          if (err) return;
          const msg: BusMessage = {
            subject: m.subject,
            data: m.data,
            ...(m.reply ? { reply: m.reply } : {}),
            respond: (d) => {
              if (m.reply) m.respond(d);
            },
          };
          handler(msg);
        },
      });
      return () => sub.unsubscribe();
    },
    request: async (subject, data, timeoutMs) => {
      try {
        const m = await nc.request(subject, data, { timeout: timeoutMs });
        return m.data;
      } catch (e) {
        const err = e as NatsError;
        if (String(err.code) === String(ErrorCode.NoResponders)) throw new BusNoRespondersError(subject);
        if (String(err.code) === String(ErrorCode.Timeout)) throw new BusTimeoutError(subject, timeoutMs);
        if (String(err.code) === String(ErrorCode.PermissionsViolation))
          throw new BusPermissionError(
            (err as { permissionContext?: { operation?: string } }).permissionContext?.operation === "subscription"
              ? "subscribe"
              : "publish",
            (err as { permissionContext?: { subject?: string } }).permissionContext?.subject ?? subject,
          );
        throw e;
      }
    },
    inbox: () => createInbox(inboxPrefix),
    flush: () => nc.flush(),
    onStatus: (fn) => {
      statusFns.add(fn);
      return () => statusFns.delete(fn);
    },
    onPermissionError: (fn) => {
      refusalFns.add(fn);
      return () => refusalFns.delete(fn);
    },
    close: async () => {
      if (nc.isClosed()) return;
      await nc.drain().catch(() => undefined);
      // NB: drain() while reconnecting resolves without closing, and the reconnect timers then keep the
      // process alive forever: close for certain.
      if (!nc.isClosed()) await nc.close();
    },
  };
}
