import { RaftConfigError } from "../errors.js";

/** A peer's address split into host and port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses "host:port" (IPv6 hosts in brackets: "[::1]:7000"). Throws {@link RaftConfigError} naming the
 * offending value when it is not of that form or the port is not in [0, 65535].
 */
export function parseAddress(address: string): HostPort {
  const colon = address.lastIndexOf(":");
  let host = colon > 0 ? address.slice(0, colon) : "";
  const portText = address.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const port = Number(portText);
  if (host === "" || !/^\d+$/.test(portText) || port > 65535) {
    throw new RaftConfigError(`raft: peer address "${address}" is not "host:port" (for example "10.0.0.5:4600")`);
  }
  return { host, port };
}

/** Formats a host and port as "host:port", bracketing IPv6 hosts. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
