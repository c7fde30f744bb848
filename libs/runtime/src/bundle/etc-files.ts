import { isIP } from "node:net";
import { InvalidSpecError } from "../errors.js";
import { isValidHostname } from "./spec-rules.js";

/** What a container's /etc/hosts says about the container itself. */
export interface HostsFileInput {
  hostname: string;
  /** The container's addresses (IPv4 or IPv6); with none, the name points at 127.0.1.1 as on Debian. */
  addresses?: readonly string[];
}

/**
 * The text of a container's /etc/hosts: the localhost and IPv6 lines every Docker container has, then one line
 * per address naming the container. Throws InvalidSpecError for a bad host name or address.
 */
export function renderHostsFile(input: HostsFileInput): string {
  if (!isValidHostname(input.hostname)) {
    throw new InvalidSpecError("hostname", `${JSON.stringify(input.hostname)} is not an RFC 1123 host name`);
  }
  const addresses = input.addresses ?? [];
  addresses.forEach((a, i) => {
    if (isIP(a) === 0)
      throw new InvalidSpecError(`addresses[${i}]`, `${JSON.stringify(a)} is not an IPv4 or IPv6 address`);
  });
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    ...(addresses.length > 0 ? addresses : ["127.0.1.1"]).map((a) => `${a}\t${input.hostname}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** The text of a container's /etc/hostname. Throws InvalidSpecError for a bad host name. */
export function renderHostnameFile(hostname: string): string {
  if (!isValidHostname(hostname)) {
    throw new InvalidSpecError("hostname", `${JSON.stringify(hostname)} is not an RFC 1123 host name`);
  }
  return `${hostname}\n`;
}

/**
 * The resolv.conf a container gets: the host's, minus loopback nameservers when the container has its own
 * network namespace (they would point at the container itself); with `dnsServers`, those instead of every
 * nameserver of the host, keeping its search and options lines.
 */
export function containerResolvConf(
  hostResolvConf: string,
  networkMode: "none" | "host" | "path",
  dnsServers?: readonly string[],
): string {
  if (networkMode === "host" && dnsServers === undefined) return hostResolvConf;
  const nameserver = (l: string): boolean => /^\s*nameserver\s/.test(l);
  const kept = hostResolvConf
    .split("\n")
    .filter((l) => (dnsServers === undefined ? !/^\s*nameserver\s+(127\.|::1\b)/.test(l) : !nameserver(l)));
  if (dnsServers === undefined) return kept.join("\n");
  return [...dnsServers.map((s) => `nameserver ${s}`), ...kept.filter((l) => l.trim() !== "")].join("\n") + "\n";
}
