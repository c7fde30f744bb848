import { InvalidSpecError } from "../errors.js";
import { parseIpv4 } from "../ipv4.js";

/** A resolver queries are forwarded to. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** Parses "a.b.c.d" or "a.b.c.d:port" (port 53 when left out). */
export function parseUpstream(text: string): Upstream {
  const [host = "", port, ...rest] = text.split(":");
  const portNumber = port === undefined ? 53 : /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (parseIpv4(host) === undefined || rest.length > 0 || !(portNumber >= 1 && portNumber <= 65535)) {
    throw new InvalidSpecError(
      "upstreams",
      `${JSON.stringify(text)} is not an IPv4 resolver such as "192.168.1.1" or "192.168.1.1:5353"`,
    );
  }
  return { host, port: portNumber };
}

/** The nameservers of a resolv.conf text, in order (IPv4 only). */
export function upstreamsFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [keyword, address] = line
      .replace(/[#;].*$/, "")
      .trim()
      .split(/\s+/);
    if (
      keyword === "nameserver" &&
      address !== undefined &&
      parseIpv4(address) !== undefined &&
      !out.includes(address)
    ) {
      out.push(address);
    }
  }
  return out;
}
