import { isIP, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect, Server as TlsServer, TLSSocket } from "node:tls";
import { anyOf, formatIdentity, managerOfNode, type Identity, type IdentityMatcher } from "./identity.js";
import { authorizedPeerIdentity, clientTlsOptions, serverTlsOptions } from "./tls.js";

/**
 * Sockets for the Raft transport over mutual TLS (docs/design/trust.md §4.7, "Raft (7071)"): an object with the
 * shape of `@shoal/raft`'s `SocketFactory` (typed here by structure, so this library does not depend on raft),
 * plus the `authorizePeer` check its handshake runs on each Hello.
 *
 * - Listener: TLS 1.3, a client certificate required and verified against the trust bundle, and it must name a
 *   manager of this cluster; only then does the transport get the socket, so it reads no application byte
 *   from a peer that has not authenticated.
 * - Dialer: the server must present the manager identity of the member whose Raft id is dialed.
 * - Handshake: the Raft id a Hello claims must belong to the node named by the peer's certificate.
 */

/** Settings of {@link tlsSockets}. */
export interface RaftTlsSettings {
  /** The Shoal cluster id: peers must hold manager certificates of this cluster. */
  readonly clusterId: string;
  /** This manager's chain, leaf first, and key (PEM). */
  readonly chain: readonly string[];
  readonly key: string;
  /** The trust bundle's roots (PEM blocks). */
  readonly trust: readonly string[];
  /**
   * The node id of the manager that is Raft member `raftId`, or undefined when the membership has none (then
   * that id is neither dialed nor accepted). Read on every connection, so membership changes apply at once.
   */
  nodeOfRaftId(raftId: number): string | undefined;
  /** Time the listener allows for a TLS handshake. Default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Hears every inbound connection refused before the transport saw it: a failed TLS handshake (no certificate,
   * another CA, not TLS at all, timeout) or a verified certificate that is not a manager of this cluster.
   */
  readonly onRefused?: (reason: string, remote: string | undefined) => void;
}

/** The object {@link tlsSockets} returns: a Raft `SocketFactory` and `authorizePeer` (pass both to the transport). */
export interface RaftTlsSockets {
  /** Dials `host:port` over TLS, accepting only the manager certificate of Raft member `peerId`. */
  connect(host: string, port: number, peerId?: number): Duplex;
  /** A TLS server that calls `onConnection` once a peer completed the TLS handshake as a manager of the cluster. */
  createServer(onConnection: (socket: Duplex) => void): Server;
  /**
   * Why the peer on `socket` may not be Raft member `peerId`, or undefined when its certificate names it (a
   * function property: pass it on as the transport's `authorizePeer`).
   */
  readonly authorizePeer: (peerId: number, socket: Duplex) => string | undefined;
}

/** The Shoal identity in the verified certificate of a TLS peer; undefined for anything else. */
export function peerIdentity(socket: Duplex): Identity | undefined {
  return socket instanceof TLSSocket ? authorizedPeerIdentity(socket) : undefined;
}

/** Mutual-TLS sockets for the Raft transport (see the file's comment). */
export function tlsSockets(settings: RaftTlsSettings): RaftTlsSockets {
  const { clusterId } = settings;
  const expectedFor = (raftId: number | undefined): IdentityMatcher => {
    const node = raftId === undefined ? undefined : settings.nodeOfRaftId(raftId);
    // An id the membership does not know matches nobody: the connection fails its TLS handshake.
    return node === undefined ? anyOf([]) : managerOfNode(clusterId, node);
  };
  const serverOptions = serverTlsOptions({
    chain: settings.chain,
    key: settings.key,
    trust: settings.trust,
    clientCertificates: "require",
    ...(settings.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: settings.handshakeTimeoutMs }),
  });
  return {
    connect(host, port, peerId) {
      const socket = connect({
        host,
        port,
        ...clientTlsOptions({
          trust: settings.trust,
          expect: expectedFor(peerId),
          chain: settings.chain,
          key: settings.key,
        }),
        ...(isIP(host) ? {} : { servername: host }),
      });
      socket.setNoDelay(true);
      return socket;
    },
    createServer(onConnection) {
      const server = new RaftTlsServer(serverOptions);
      const refused = (reason: string, remote: string | undefined): void => settings.onRefused?.(reason, remote);
      server.on("tlsClientError", (err: Error, socket: TLSSocket) => {
        // Node leaves the socket open after some of these (a handshake timeout): close it here.
        socket.destroy();
        // A client certificate that did not verify is dropped by Node with "socket hang up"; say why instead.
        const why = socket.authorizationError;
        refused(why ? `trust: client certificate refused: ${String(why)}` : err.message, socket.remoteAddress);
      });
      server.on("secureConnection", (socket: TLSSocket) => {
        const identity = peerIdentity(socket);
        if (!identity || identity.kind !== "manager" || identity.clusterId !== clusterId) {
          const named = identity ? formatIdentity(identity) : "no Shoal identity";
          refused(
            `trust: the peer's certificate names ${named}, not a manager of cluster ${clusterId}`,
            socket.remoteAddress,
          );
          socket.destroy();
          return;
        }
        socket.setNoDelay(true);
        onConnection(socket);
      });
      return server;
    },
    authorizePeer: (peerId, socket) => {
      const identity = peerIdentity(socket);
      if (!identity) return "trust: the peer presented no verified certificate";
      const expected = expectedFor(peerId);
      if (expected.matches(identity)) return undefined;
      const node = settings.nodeOfRaftId(peerId);
      return node === undefined
        ? `trust: Raft id ${peerId} is not a member this node knows (the peer is ${formatIdentity(identity)})`
        : `trust: the peer's certificate names ${formatIdentity(identity)}, but Raft id ${peerId} is ${expected.description}`;
    },
  };
}

/**
 * A TLS server whose `close()` also drops every connection it still has, those in their TLS handshake included:
 * the transport closes only the sockets it was given, and `close()` would otherwise wait for the others to time
 * out.
 */
class RaftTlsServer extends TlsServer {
  private readonly open = new Set<Socket>();

  constructor(options: ConstructorParameters<typeof TlsServer>[0]) {
    super(options);
    this.on("connection", (socket: Socket) => {
      this.open.add(socket);
      socket.once("close", () => this.open.delete(socket));
    });
  }

  override close(callback?: (err?: Error) => void): this {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
    return super.close(callback);
  }
}
