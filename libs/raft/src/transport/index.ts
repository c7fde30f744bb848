/** The transport between Raft peers: the interface the driver uses, the TCP implementation and its twin. */
export type { Transport, TransportHandler, TransportLog, LogLevel } from "./transport.js";
export type { TcpTransportOptions } from "./config.js";
export type { BackoffOptions } from "./backoff.js";
export type { DialTarget, SocketFactory } from "./socket-factory.js";
export { type AuthorizeIdentity, type ExpectedIdentity, identityRefusal } from "./peer-identity.js";
export { tcpSockets } from "./socket-factory.js";
export { TcpTransport } from "./tcp-transport.js";
export { MemoryNetwork, MemoryTransport, type MemoryTransportOptions, type Refusal } from "./memory-transport.js";
