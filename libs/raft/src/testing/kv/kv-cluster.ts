/**
 * A cluster of key-value server processes (`kv-main.js`) on loopback, for the kill -9 tests, the demo and the
 * benchmark. Each member is a real OS process with its own data dir; the harness kills them with SIGKILL,
 * restarts them on the same data dir, and awaits the leadership events they print instead of polling.
 *
 * Everything it creates (processes, the temporary data root) is removed by {@link KvProcessCluster.destroy},
 * which also runs if the parent process exits without calling it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const KV_MAIN = fileURLToPath(new URL("./kv-main.js", import.meta.url));

/** Options of {@link startKvCluster}. */
export interface KvClusterOptions {
  /** Number of voters. Default 3. */
  readonly size?: number;
  /** Tick length of every member. Default 50 ms (elections after 0.5-1 s of silence). */
  readonly tickMs?: number;
  /** Applied entries between snapshots. Default 10,000. */
  readonly snapshotEntries?: number;
  /** Where to make the data root; a fresh temporary directory when absent. Removed by destroy(). */
  readonly dataRoot?: string;
  /** Receives each member's stderr lines (JSON log records). Default: discarded. */
  readonly onLog?: (id: number, line: string) => void;
  /** Extra arguments for node before the script, e.g. ["--cpu-prof", "--cpu-prof-dir", dir]. */
  readonly nodeArgs?: readonly string[];
  /** Members write their storage unsealed (kv-main's `--plain-storage`), to compare with sealing. Default false. */
  readonly plainStorage?: boolean;
  /**
   * Mutual TLS between the members and HTTPS with client certificates in front (kv-main's `--tls-dir`): the
   * directory holding `ca.pem`, `n<id>.pem` and `n<id>-key.pem`, and the cluster id the certificates name.
   * `peersOnly`: the HTTP front end stays plain (kv-main's `--plain-http`).
   */
  readonly tls?: { readonly dir: string; readonly clusterId: string; readonly peersOnly?: boolean };
  /** How long to wait for a process to print its ready line. Default 20 s. */
  readonly startTimeoutMs?: number;
}

/** One member of a {@link KvProcessCluster}. */
export interface KvMember {
  readonly id: number;
  /** Base URL of its HTTP front end, e.g. "http://127.0.0.1:40123" ("https:" with `tls`). */
  readonly url: string;
  readonly raftAddress: string;
  readonly dataDir: string;
  /** The running process's pid, undefined while it is down. */
  readonly pid: number | undefined;
  /** The leader this member last reported (0 = none known) and the term it reported it in. */
  readonly leader: number;
  readonly term: number;
}

interface MemberState {
  id: number;
  url: string;
  raftAddress: string;
  httpPort: number;
  dataDir: string;
  proc: ChildProcess | undefined;
  exited: Promise<void>;
  leader: number;
  term: number;
}

/** Finds `count` distinct free TCP ports on 127.0.0.1 (held open together so they are distinct). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const s = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
      });
    }),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === "string") throw new Error("kv-cluster: could not read a listening port");
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

const live = new Set<KvProcessCluster>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test crashes or forgets destroy(): no process or directory outlives the parent.
  process.once("exit", () => {
    for (const c of live) c.destroySync();
  });
}

/** A running cluster of KV processes. Create it with {@link startKvCluster}. */
export class KvProcessCluster {
  private readonly members = new Map<number, MemberState>();
  private readonly listeners = new Set<() => void>();
  private destroyed = false;

  /** @internal use {@link startKvCluster} */
  constructor(
    private readonly root: string,
    private readonly ownsRoot: boolean,
    private readonly opts: KvClusterOptions,
    private readonly peersFlag: string,
    states: readonly MemberState[],
  ) {
    for (const m of states) this.members.set(m.id, m);
    live.add(this);
    installExitHook();
  }

  /** Member ids, ascending. */
  get ids(): number[] {
    return [...this.members.keys()].sort((a, b) => a - b);
  }

  member(id: number): KvMember {
    const m = this.state(id);
    return {
      id: m.id,
      url: m.url,
      raftAddress: m.raftAddress,
      dataDir: m.dataDir,
      pid: m.proc?.pid,
      leader: m.leader,
      term: m.term,
    };
  }

  /** Base URLs of every member, by id. */
  urls(): Map<number, string> {
    return new Map([...this.members.values()].map((m) => [m.id, m.url]));
  }

  /** Whether the member's process is running. */
  isUp(id: number): boolean {
    return this.state(id).proc !== undefined;
  }

  /**
   * Resolves with the id of a leader that a majority of the running members agree on in the same term, once
   * there is one (and it is not in `exclude`). Rejects after `timeoutMs`.
   */
  async waitForLeader(opts: { exclude?: readonly number[]; timeoutMs?: number } = {}): Promise<number> {
    const exclude = new Set(opts.exclude ?? []);
    const majority = Math.floor(this.members.size / 2) + 1;
    const agreed = (): number => {
      const votes = new Map<string, number>();
      for (const m of this.members.values()) {
        if (m.proc === undefined || m.leader === 0 || exclude.has(m.leader)) continue;
        if (!this.isUp(m.leader)) continue;
        const key = `${m.leader}@${m.term}`;
        votes.set(key, (votes.get(key) ?? 0) + 1);
      }
      for (const [key, n] of votes) if (n >= majority) return Number(key.split("@")[0]);
      return 0;
    };
    return this.waitFor(agreed, opts.timeoutMs ?? 20_000, "a leader agreed on by a majority");
  }

  /** Kills the member with SIGKILL (no clean shutdown) and waits until the process is gone. */
  async kill9(id: number): Promise<void> {
    const m = this.state(id);
    if (m.proc === undefined) return;
    m.proc.kill("SIGKILL");
    await m.exited;
  }

  /** Stops the member with SIGTERM (clean shutdown) and waits until the process is gone. */
  async stopMember(id: number): Promise<void> {
    const m = this.state(id);
    if (m.proc === undefined) return;
    m.proc.kill("SIGTERM");
    await m.exited;
  }

  /** Starts the member again on its data dir and waits for its ready line. */
  async restart(id: number): Promise<void> {
    const m = this.state(id);
    if (m.proc !== undefined) throw new Error(`kv-cluster: member ${id} is running; kill or stop it first`);
    await this.launch(m);
  }

  /** Kills every process and removes the data root (when the harness made it). Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all(this.ids.map((id) => this.kill9(id)));
    this.destroySync();
  }

  /** Synchronous part of destroy, for the exit hook: SIGKILL whatever runs, remove the data root. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const m of this.members.values()) m.proc?.kill("SIGKILL");
    if (this.ownsRoot) rmSync(this.root, { recursive: true, force: true });
  }

  /** @internal */
  async launch(m: MemberState): Promise<void> {
    if (this.destroyed) throw new Error("kv-cluster: the cluster was destroyed");
    const args = [
      ...(this.opts.nodeArgs ?? []),
      KV_MAIN,
      "--id",
      String(m.id),
      "--data-dir",
      m.dataDir,
      "--raft",
      m.raftAddress,
      "--http",
      `127.0.0.1:${m.httpPort}`,
      "--peers",
      this.peersFlag,
      "--tick-ms",
      String(this.opts.tickMs ?? 50),
      "--snapshot-entries",
      String(this.opts.snapshotEntries ?? 10_000),
      ...(this.opts.plainStorage ? ["--plain-storage"] : []),
      ...(this.opts.tls ? ["--tls-dir", this.opts.tls.dir, "--tls-cluster", this.opts.tls.clusterId] : []),
      ...(this.opts.tls?.peersOnly ? ["--plain-http"] : []),
    ];
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    m.proc = proc;
    m.leader = 0;
    m.exited = new Promise<void>((resolve) => {
      proc.once("exit", () => {
        if (m.proc === proc) {
          m.proc = undefined;
          m.leader = 0;
        }
        this.notify();
        resolve();
      });
    });
    const stderr: string[] = [];
    createInterface({ input: proc.stderr }).on("line", (line) => {
      stderr.push(line);
      if (stderr.length > 20) stderr.shift();
      this.opts.onLog?.(m.id, line);
    });
    let ready = false;
    createInterface({ input: proc.stdout }).on("line", (line) => {
      let ev: { ready?: boolean; event?: string; leader?: number; term?: number };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        return;
      }
      if (ev.ready) ready = true;
      if (typeof ev.leader === "number") m.leader = ev.leader;
      if (typeof ev.term === "number") m.term = ev.term;
      this.notify();
    });
    try {
      await this.waitFor(
        () => {
          if (m.proc !== proc) throw new Error(`member ${m.id} exited before it was ready:\n${stderr.join("\n")}`);
          return ready ? 1 : 0;
        },
        this.opts.startTimeoutMs ?? 20_000,
        `member ${m.id} to print its ready line`,
      );
    } catch (e) {
      proc.kill("SIGKILL");
      throw e;
    }
  }

  private state(id: number): MemberState {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`kv-cluster: no member ${id}; members are ${this.ids.join(", ")}`);
    return m;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves with the first non-zero value of `probe`, re-evaluated on every event from the members. */
  private waitFor(probe: () => number, timeoutMs: number, what: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const check = (): void => {
        let v: number;
        try {
          v = probe();
        } catch (e) {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (v !== 0) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`kv-cluster: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }
}

/** Starts `size` KV processes as a new cluster on free loopback ports and waits until all are serving. */
export async function startKvCluster(opts: KvClusterOptions = {}): Promise<KvProcessCluster> {
  const size = opts.size ?? 3;
  const ownsRoot = opts.dataRoot === undefined;
  const root = opts.dataRoot ?? mkdtempSync(join(tmpdir(), "shoal-kv-"));
  const ports = await freePorts(size * 2);
  const states: MemberState[] = Array.from({ length: size }, (_, i) => ({
    id: i + 1,
    raftAddress: `127.0.0.1:${ports[2 * i] ?? 0}`,
    httpPort: ports[2 * i + 1] ?? 0,
    url: `${opts.tls && !opts.tls.peersOnly ? "https" : "http"}://127.0.0.1:${ports[2 * i + 1] ?? 0}`,
    dataDir: join(root, `node-${i + 1}`),
    proc: undefined,
    exited: Promise.resolve(),
    leader: 0,
    term: 0,
  }));
  const peers = states.map((m) => `${m.id}=${m.raftAddress}`).join(",");
  const cluster = new KvProcessCluster(root, ownsRoot, opts, peers, states);
  try {
    await Promise.all(states.map((m) => cluster.launch(m)));
  } catch (e) {
    await cluster.destroy();
    throw e;
  }
  return cluster;
}
