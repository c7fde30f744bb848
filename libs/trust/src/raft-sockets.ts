import { isIP, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect, Server as TlsServer, TLSSocket, type TlsOptions } from "node:tls";
import { anyOf, formatIdentity, managerOfNode, type Identity, type IdentityMatcher } from "./identity.js";
import {
  authorizedPeerIdentity,
  clientTlsOptions,
  serverTlsOptions,
  HANDSHAKE_TIMEOUT_MS,
  TLS_MIN_VERSION,
} from "./tls.js";

/**
 * Sockets for the Raft transport over mutual TLS (docs/design/trust.md §4.7, "Raft (7071)"): an object with the
 * shape of `@shoal/raft`'s `SocketFactory` (typed here by structure, so this library does not depend on raft),
 * `peerIdentity` included, which makes the transport check each Hello against the membership.
 *
 * - Listener: TLS 1.3, a client certificate required and verified against the trust bundle, and it must name a
 *   manager of this cluster; only then does the transport get the socket, so it reads no application byte
 *   from a peer that has not authenticated.
 * - Dialer: the server must present the manager certificate of the node the membership records for the Raft
 *   member dialed.
 * - Handshake: `peerIdentity` gives the transport the node id of the peer's certificate; the transport accepts a
 *   Hello only when it is the one the membership records for the Raft id the Hello claims.
 * - `update` swaps the certificate, key and trust bundle: connections made from then on use the new ones.
 */

/** A manager's TLS material: its chain, leaf first, its key, and the trust bundle's roots (PEM blocks). */
export interface RaftTlsMaterial {
  readonly chain: readonly string[];
  readonly key: string;
  readonly trust: readonly string[];
}

/** Settings of {@link tlsSockets}. */
export interface RaftTlsSettings {
  /** The Shoal cluster id: peers must hold manager certificates of this cluster. */
  readonly clusterId: string;
  /**
   * This manager's material. Undefined until it has a certificate: until {@link RaftTlsSockets.update}, the
   * listener completes no handshake and every dial fails.
   */
  readonly material: RaftTlsMaterial | undefined;
  /** Time the listener allows for a TLS handshake. Default 5 s. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Hears every inbound connection refused before the transport saw it: a failed TLS handshake (no certificate,
   * another CA, not TLS at all, timeout) or a verified certificate that is not a manager of this cluster.
   */
  readonly onRefused?: (reason: string, remote: string | undefined) => void;
}

/** The object {@link tlsSockets} returns: a Raft `SocketFactory` that authenticates peers, and its material's swap. */
export interface RaftTlsSockets {
  /**
   * Dials `host:port` over TLS, accepting only the manager certificate of node `peer.nodeId` (nobody when it is
   * undefined or `peer` is absent).
   */
  connect(host: string, port: number, peer?: { readonly raftId: number; readonly nodeId: string | undefined }): Duplex;
  /** A TLS server that calls `onConnection` once a peer completed the TLS handshake as a manager of the cluster. */
  createServer(onConnection: (socket: Duplex) => void): Server;
  /** The node id of the manager certificate the peer on `socket` presented and the TLS layer verified, if any. */
  peerIdentity(socket: Duplex): string | undefined;
  /** Uses `material` for every connection made from now on, either way; open connections are left as they are. */
  update(material: RaftTlsMaterial): void;
}

/** The Shoal identity in the verified certificate of a TLS peer; undefined for anything else. */
export function peerIdentity(socket: Duplex): Identity | undefined {
  return socket instanceof TLSSocket ? authorizedPeerIdentity(socket) : undefined;
}

/** Mutual-TLS sockets for the Raft transport (see the file's comment). */
export function tlsSockets(settings: RaftTlsSettings): RaftTlsSockets {
  const { clusterId } = settings;
  let material = settings.material;
  const servers = new Set<RaftTlsServer>();
  const serverOptions = (m: RaftTlsMaterial | undefined): TlsOptions => {
    const handshakeTimeoutMs = settings.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    if (m) return serverTlsOptions({ ...m, clientCertificates: "require", handshakeTimeoutMs });
    // No certificate yet: a server that completes no handshake.
    return {
      minVersion: TLS_MIN_VERSION,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: handshakeTimeoutMs,
    };
  };
  const managerNode = (socket: Duplex): string | undefined => {
    const identity = peerIdentity(socket);
    return identity?.kind === "manager" && identity.clusterId === clusterId ? identity.nodeId : undefined;
  };
  return {
    connect(host, port, peer) {
      if (!material) throw new Error("trust: this manager has no certificate for Raft yet");
      const node = peer?.nodeId;
      // A member the membership records no identity for matches nobody: the connection fails its handshake.
      const expect: IdentityMatcher = node === undefined ? anyOf([]) : managerOfNode(clusterId, node);
      const socket = connect({
        host,
        port,
        ...clientTlsOptions({ trust: material.trust, expect, chain: material.chain, key: material.key }),
        ...(isIP(host) ? {} : { servername: host }),
      });
      socket.setNoDelay(true);
      return socket;
    },
    createServer(onConnection) {
      const server = new RaftTlsServer(serverOptions(material));
      servers.add(server);
      server.once("close", () => servers.delete(server));
      const refused = (reason: string, remote: string | undefined): void => settings.onRefused?.(reason, remote);
      server.on("tlsClientError", (err: Error, socket: TLSSocket) => {
        // Node leaves the socket open after some of these (a handshake timeout): close it here.
        socket.destroy();
        // A client certificate that did not verify is dropped by Node with "socket hang up"; say why instead.
        const why = socket.authorizationError;
        refused(why ? `trust: client certificate refused: ${String(why)}` : err.message, socket.remoteAddress);
      });
      server.on("secureConnection", (socket: TLSSocket) => {
        if (managerNode(socket) === undefined) {
          const identity = peerIdentity(socket);
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
    peerIdentity: managerNode,
    update(next) {
      material = next;
      for (const server of servers) server.setSecureContext(serverOptions(next));
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
