import { type Server, createConnection, createServer } from "node:net";
import type { Duplex } from "node:stream";
import type { NodeId } from "../core/types.js";

/**
 * Where the transport gets its byte streams. The protocol code only sees `Duplex` streams and a `Server`, so
 * TLS plugs in here (`tls.connect`, `tls.createServer`) without touching framing, handshake or snapshots.
 */
export interface SocketFactory {
  /**
   * Opens a connection to a peer. Writes made before it is established are buffered by the stream. `peerId` is
   * the Raft id the transport means to reach (the Hello's `to`), so that a TLS factory can require the identity
   * of that member in the server's certificate; plain TCP ignores it.
   */
  connect(host: string, port: number, peerId?: NodeId): Duplex;
  /**
   * Creates a server that calls `onConnection` for every accepted connection; the transport listens on it and
   * reads the connection's frames from then on. A TLS factory calls it only once the TLS handshake succeeded.
   */
  createServer(onConnection: (socket: Duplex) => void): Server;
}

/** Plain TCP with Nagle's algorithm off: the transport batches writes itself. */
export const tcpSockets: SocketFactory = {
  connect(host, port) {
    return createConnection({ host, port, noDelay: true });
  },
  createServer(onConnection) {
    return createServer({ noDelay: true }, onConnection);
  },
};
