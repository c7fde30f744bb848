import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { renderPermissions, type NatsPermissions } from "../permissions.js";

/** Debian's nats-server, which `scripts/setup.sh` installs. */
export const NATS_SERVER = "/usr/sbin/nats-server";

/** A nats-server a test started. */
export interface TestNatsServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Options of {@link startTestNatsServer}. */
export interface TestNatsServerOptions {
  /** Where its config, certificate files and log go. */
  dir: string;
  /** The server's certificate chain (PEM) and key. */
  cert: string;
  key: string;
  /** The roots client certificates must chain to (PEM). */
  trust: readonly string[];
  /** One user per client identity URI (`verify_and_map`), with its permissions. */
  users: readonly { user: string; permissions: NatsPermissions }[];
}

/** A free TCP port on loopback. */
export async function freeLoopbackPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Starts nats-server on loopback with mutual TLS (`verify_and_map`) and the given users, as the managers' servers
 * run (without routes), and resolves once it accepts TCP connections.
 */
export async function startTestNatsServer(o: TestNatsServerOptions): Promise<TestNatsServer> {
  const port = await freeLoopbackPort();
  const file = (name: string, text: string, mode = 0o600) => {
    writeFileSync(join(o.dir, name), text, { mode });
    return JSON.stringify(join(o.dir, name));
  };
  const users = o.users.map((u) => `{ user: ${JSON.stringify(u.user)}, ${renderPermissions(u.permissions)} }`);
  const config = [
    `listen: "127.0.0.1:${port}"`,
    `tls { cert_file: ${file("server.crt", o.cert)}, key_file: ${file("server.key", o.key)}, ca_file: ${file("trust.pem", o.trust.join(""))}, verify_and_map: true, timeout: 2 }`,
    `authorization { users: [${users.join(", ")}] }`,
  ].join("\n");
  const conf = join(o.dir, "nats.conf");
  writeFileSync(conf, config, { mode: 0o600 });
  const child = spawn(NATS_SERVER, ["-c", conf, "-l", join(o.dir, "nats.log")], { stdio: "ignore" });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  for (const until = Date.now() + 10_000; ;) {
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1", () => (c.destroy(), resolve(true)));
      c.on("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > until || child.exitCode !== null) {
      await stop();
      throw new Error(`test nats-server did not listen on ${port}: see ${join(o.dir, "nats.log")}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `nats://127.0.0.1:${port}`, port, stop };
}
