/** The transport between Raft peers: the interface the driver uses, the TCP implementation and its twin. */
export type { Transport, TransportHandler, TransportLog, LogLevel } from "./transport.js";
export type { AuthorizePeer, TcpTransportOptions } from "./config.js";
export type { BackoffOptions } from "./backoff.js";
export type { SocketFactory } from "./socket-factory.js";
export { tcpSockets } from "./socket-factory.js";
export { TcpTransport } from "./tcp-transport.js";
export { MemoryNetwork, MemoryTransport } from "./memory-transport.js";
