import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { LOCAL_SOCKET_BASE, ShoalClient } from "@shoal/api";
import type { TlsFetch } from "@shoal/api/node";
import { anyManagerOfClusters } from "@shoal/trust";
import type { OptionDef, ParsedArgs, Syntax } from "./args/parser.js";
import { chooseTlsFiles, loadCredentials, type CliCredentials } from "./credentials.js";
import { AgentClient } from "./local/agent-client.js";

/** Where the CLI reads and writes: the process's streams in production, buffers in tests. */
export interface CliIo {
  readonly stdout: { write: (s: string) => unknown; isTTY?: boolean | undefined };
  readonly stderr: { write: (s: string) => unknown };
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the user interrupts (Ctrl-C): follow and progress displays stop. */
  readonly signal?: AbortSignal;
  /** Resolves when a foreground daemon should stop (SIGTERM or SIGINT); the signal's name. */
  readonly untilStopped?: () => Promise<string>;
  /** The script that runs `shoal` (daemons started by `cluster init/join` run it); default this package's bin. */
  readonly cliBin?: string;
}

/** The flags every command takes. */
export const GLOBAL_OPTIONS: readonly OptionDef[] = [
  {
    name: "host",
    short: "H",
    type: "string",
    multiple: true,
    value: "HOST:PORT",
    help: "Manager API address; repeat or comma-separate for several (env SHOAL_HOST; else the one `cluster init/join` recorded; else 127.0.0.1:7070)",
  },
  {
    name: "tls-ca",
    type: "string",
    value: "FILE",
    help: "Trust bundle (PEM) the managers' certificates must chain to: talk HTTPS (else env SHOAL_CERT_PATH=DIR with ca.pem, cert.pem, key.pem; else, without --host, the local manager's socket <run-dir>/manager.sock as root; else the context file's tls; else <data-dir>/certificates/trust.pem if it exists; else plain HTTP)",
  },
  {
    name: "tls-cert",
    type: "string",
    value: "FILE",
    help: "Client certificate chain (PEM) to present to the managers, with --tls-key",
  },
  { name: "tls-key", type: "string", value: "FILE", help: "Private key (PEM) of --tls-cert" },
  { name: "data-dir", type: "string", value: "DIR", help: "Node state directory (default /var/lib/shoal)" },
  {
    name: "run-dir",
    type: "string",
    value: "DIR",
    help: "Runtime directory with the agent's socket (default /run/shoal)",
  },
  { name: "help", short: "h", type: "boolean", help: "Print usage" },
];

/** A command of the CLI: `service create`, `version`. */
export interface Command {
  /** Words after `shoal`: `service create`. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Arguments after the name in the usage line: `[OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  readonly usage: string;
  readonly summary: string;
  readonly syntax: Syntax;
  readonly run: (ctx: Context, args: ParsedArgs) => Promise<number>;
  /** Runs until stopped by a signal and handles SIGINT itself (the daemons). */
  readonly foreground?: boolean;
}

/** The file `cluster init/join` writes so later commands find a manager without --host. */
export const contextFile = (dataDir: string): string => join(dataDir, "context.json");

/**
 * The TLS files a context file names (absolute paths, or relative to the data dir): a trust bundle, and a
 * client certificate with its key, or not.
 */
export type ContextTls = { readonly ca: string } | { readonly ca: string; readonly cert: string; readonly key: string };

/**
 * What a context file holds: `{managers}`, and since the cluster has a CA, `{managers, tls?: {ca, cert?, key?}}`
 * (paths, checked when used). No file, or one that does not parse, holds nothing.
 */
export interface ContextRecord {
  readonly managers: string[];
  readonly tls?: unknown;
}

/** Reads the context file of `dataDir` (see {@link ContextRecord}). */
export function readContextFile(dataDir: string): ContextRecord {
  try {
    const v = JSON.parse(readFileSync(contextFile(dataDir), "utf8")) as { managers?: unknown; tls?: unknown };
    const managers = Array.isArray(v.managers) ? v.managers.filter((m): m is string => typeof m === "string") : [];
    return { managers, ...(v.tls !== undefined ? { tls: v.tls } : {}) };
  } catch {
    return { managers: [] };
  }
}

/**
 * Replaces the managers in a context file (keeping its other fields), written whole then renamed so a reader
 * never sees half of it. Best effort: a file that cannot be written is left as it was.
 */
export function saveContextManagers(dataDir: string, managers: readonly string[]): void {
  const file = contextFile(dataDir);
  try {
    const current = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...current, managers })}\n`);
    renameSync(tmp, file);
  } catch {
    // No context file (hosts came from elsewhere) or not writable: nothing to remember.
  }
}

/** Whether a `HOST:PORT` names this machine (127.0.0.0/8, ::1, localhost): its manager is this node's. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort
    .replace(/^https?:\/\//, "")
    .replace(/:\d+\/?$/, "")
    .replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What a command handler works with. */
export class Context {
  readonly hosts: string[];
  /** The hosts came from the context file, which is then kept up to date with the cluster's managers. */
  readonly hostsFromContext: boolean;
  readonly dataDir: string;
  readonly runDir: string;
  private readonly record: ContextRecord;
  private readonly tlsFlags: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined };
  private apiClient?: ShoalClient;
  /** The TLS fetch, once a request needed it (undici loads only then). */
  private tlsFetch: Promise<TlsFetch> | undefined;
  /** Fetches of clients made for this node's manager (see localManagerClient), closed with the context. */
  private readonly extraFetches: Promise<TlsFetch>[] = [];

  constructor(
    readonly io: CliIo,
    args: ParsedArgs,
  ) {
    this.dataDir = args.string("data-dir") ?? "/var/lib/shoal";
    this.record = readContextFile(this.dataDir);
    const hosts = args.strings("host").length > 0 ? args.strings("host") : [io.env.SHOAL_HOST ?? ""];
    const list = hosts
      .flatMap((h) => h.split(","))
      .map((h) => h.trim())
      .filter((h) => h !== "");
    this.hosts = list.length > 0 ? list : [...this.record.managers];
    this.hostsFromContext = list.length === 0 && this.hosts.length > 0;
    if (this.hosts.length === 0) this.hosts = ["127.0.0.1:7070"];
    this.runDir = args.string("run-dir") ?? "/run/shoal";
    this.tlsFlags = { ca: args.string("tls-ca"), cert: args.string("tls-cert"), key: args.string("tls-key") };
    const tlsFlagGiven = Object.values(this.tlsFlags).some((v) => v !== undefined);
    this.explicit = tlsFlagGiven || !!io.env.SHOAL_CERT_PATH || !list.every(isLoopbackHost);
  }

  /**
   * Credentials were given (`--tls-*`, SHOAL_CERT_PATH), or a manager other than this node's (a `--host` or
   * SHOAL_HOST that is not a loopback address): the local socket is not used.
   */
  private readonly explicit: boolean;

  /** This node's manager's local socket, `<run-dir>/manager.sock` (docs/design/trust.md §4.3). */
  get localSocket(): string {
    return join(this.runDir, "manager.sock");
  }

  /**
   * A client of this node's manager through its local socket, as root on this node (an admin); closed with
   * {@link close}. It fails with SHOAL_ERR_UNREACHABLE while the manager does not serve the socket.
   */
  localManagerClient(timeoutMs?: number): ShoalClient {
    const local = import("@shoal/api/node").then((m) => m.createSocketFetch(this.localSocket));
    this.extraFetches.push(local);
    return new ShoalClient({
      managers: [LOCAL_SOCKET_BASE],
      pinned: true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      fetch: async (input, init) => (await local).fetch(input, init),
    });
  }

  /**
   * The TLS credentials for the managers (docs/design/trust.md §4.11): `--tls-*`, `SHOAL_CERT_PATH`, the
   * context file's `tls`, the node's trust bundle; undefined when none is given (plain HTTP). Throws a
   * UsageError or CliError naming the flag or file that cannot be used.
   */
  credentials(): CliCredentials | undefined {
    const files = chooseTlsFiles({
      flags: this.tlsFlags,
      certPath: this.io.env.SHOAL_CERT_PATH,
      context: this.record.tls === undefined ? undefined : { file: contextFile(this.dataDir), tls: this.record.tls },
      dataDir: this.dataDir,
      exists: existsSync,
    });
    return files && loadCredentials(files, (path) => readFileSync(path, "utf8"));
  }

  /**
   * The manager API client (created on first use). It follows the managers the cluster names; when the hosts
   * came from the context file, the file follows too, so a later command starts at a manager that answered.
   * With credentials, every manager is dialed over HTTPS and must present a manager certificate of the
   * cluster the trust bundle names; {@link close} then closes its connections.
   */
  get client(): ShoalClient {
    if (this.apiClient) return this.apiClient;
    // On a manager node, root calls through the manager's local socket unless told otherwise.
    if (!this.explicit && existsSync(this.localSocket)) {
      this.apiClient = this.localManagerClient();
      return this.apiClient;
    }
    const creds = this.credentials();
    this.apiClient = new ShoalClient({
      managers: this.hosts,
      ...(this.hostsFromContext ? { onManagers: (m: readonly string[]) => saveContextManagers(this.dataDir, m) } : {}),
      ...(creds ? { scheme: "https" as const, fetch: this.lazyTlsFetch(creds) } : {}),
    });
    return this.apiClient;
  }

  /** A fetch that builds the TLS fetch at its first request: `@shoal/api/node` (undici) loads only then. */
  private lazyTlsFetch(creds: CliCredentials): typeof fetch {
    const { trust, cert, key } = creds;
    const options = { trust, expect: anyManagerOfClusters(creds.clusterIds), ...(cert && key ? { cert, key } : {}) };
    return async (input, init) => {
      this.tlsFetch ??= import("@shoal/api/node").then((m) => m.createTlsFetch(options));
      return (await this.tlsFetch).fetch(input, init);
    };
  }

  /** Ends what the command opened: the TLS connections kept alive, so the process can exit. */
  async close(): Promise<void> {
    for (const t of this.extraFetches.splice(0))
      await t.then(
        (f) => f.close(),
        () => undefined,
      );
    const tls = this.tlsFetch;
    this.tlsFetch = undefined;
    // A TLS fetch that failed to build has nothing to close (its requests already reported the failure).
    if (tls)
      await tls.then(
        (t) => t.close(),
        () => undefined,
      );
  }

  /** The local agent's API on `<run-dir>/agent.sock`. */
  get agent(): AgentClient {
    return new AgentClient(join(this.runDir, "agent.sock"));
  }

  /** Writes to stdout. */
  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** Writes to stderr. */
  err(text: string): void {
    this.io.stderr.write(text);
  }

  /** Prints objects as indented JSON (`--format json`, `inspect`). */
  json(value: unknown): void {
    this.out(`${JSON.stringify(value, null, 2)}\n`);
  }
}
