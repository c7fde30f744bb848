import { type Server, createConnection, createServer } from "node:net";
import type { Duplex } from "node:stream";
import type { NodeId } from "../core/types.js";

/** The member a connection is meant to reach: its Raft id and the identity the membership records for it. */
export interface DialTarget {
  readonly raftId: NodeId;
  /** The node id the member must prove; undefined when the membership records none. */
  readonly nodeId: string | undefined;
}

/**
 * Where the transport gets its byte streams. The protocol code only sees `Duplex` streams and a `Server`, so
 * TLS plugs in here (`tls.connect`, `tls.createServer`) without touching framing, handshake or snapshots.
 */
export interface SocketFactory {
  /**
   * Opens a connection to a peer. Writes made before it is established are buffered by the stream. `peer` is the
   * member the transport means to reach (the Hello's `to`), so that an authenticating factory requires that
   * member's identity of the server (and fails the connection otherwise, an undefined `nodeId` included); plain
   * TCP ignores it.
   */
  connect(host: string, port: number, peer?: DialTarget): Duplex;
  /**
   * Creates a server that calls `onConnection` for every accepted connection; the transport listens on it and
   * reads the connection's frames from then on. A TLS factory calls it only once the TLS handshake succeeded.
   */
  createServer(onConnection: (socket: Duplex) => void): Server;
  /**
   * The identity (node id) the peer on `socket` proved, or undefined when it proved none. Present only on a
   * factory that authenticates peers: then the transport accepts a Hello only from the peer whose identity the
   * membership records for the Raft id it claims (see `identityRefusal`).
   */
  peerIdentity?(socket: Duplex): string | undefined;
}

/** Plain TCP with Nagle's algorithm off: the transport batches writes itself. No identities. */
export const tcpSockets: SocketFactory = {
  connect(host, port) {
    return createConnection({ host, port, noDelay: true });
  },
  createServer(onConnection) {
    return createServer({ noDelay: true }, onConnection);
  },
};
