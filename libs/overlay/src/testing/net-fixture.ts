import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";
import { once } from "node:events";

/** True unless the tests can run: they need root (CI runs as root and must not skip). */
export const rootSkip: string | false = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root" : false;

/** A seeded random source (mulberry32); a failing run prints its seed so it can be replayed. */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Runs a command and returns its stdout; throws with its stderr on failure. */
export function sh(file: string, ...args: string[]): string {
  return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command and returns whether it exited with status 0. */
export function succeeds(file: string, ...args: string[]): boolean {
  try {
    sh(file, ...args);
    return true;
  } catch {
    return false;
  }
}

/** The IPv4 addresses on the host's interfaces, with their interface. */
export function hostAddresses(): { ifname: string; local: string; scope: string }[] {
  const links = JSON.parse(sh("ip", "-j", "-4", "addr", "show")) as {
    ifname: string;
    addr_info: { local: string; scope: string }[];
  }[];
  return links.flatMap((l) => l.addr_info.map((a) => ({ ifname: l.ifname, local: a.local, scope: a.scope })));
}

/** True when a TCP port can be bound on every address of the host now. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, "0.0.0.0");
  try {
    await once(server, "listening");
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

/**
 * Starts a TCP server in namespace `ns` that answers every connection with "<name> <peer address>" and closes
 * it; resolves once it listens. The process is `node` itself (`ip netns exec` execs it), so killing it ends it.
 */
export async function startEchoServer(ns: string, name: string, port: number): Promise<ChildProcess> {
  const script = `require("net").createServer((s) => s.end(process.argv[1] + " " + s.remoteAddress + "\\n"))
    .listen(${port}, "0.0.0.0", () => console.log("listening"));`;
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script, name], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [first] = (await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [undefined])])) as [
    Buffer | undefined,
  ];
  if (first?.toString().includes("listening") !== true) throw new Error(`echo server ${name} in ${ns} did not start`);
  return child;
}

/** Ends a child process and waits for it to be gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, "exit");
  child.kill("SIGKILL");
  await gone;
}

/**
 * Connects to host:port and resolves with what the server sent before closing, trimmed; rejects with the
 * socket error (ECONNREFUSED for a refused port) or after `timeoutMs` without an answer.
 */
export function ask(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let data = "";
    s.setEncoding("utf8");
    s.setTimeout(timeoutMs, () =>
      s.destroy(Object.assign(new Error(`no answer from ${host}:${port}`), { code: "ETIMEDOUT" })),
    );
    s.on("data", (d: string) => (data += d));
    s.on("end", () => resolve(data.trim()));
    s.on("error", reject);
  });
}
