import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { ShoalClient } from "@shoal/api";
import type { OptionDef, ParsedArgs, Syntax } from "./args/parser.js";
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

/** The managers a context file names, or none. */
function contextManagers(dataDir: string): string[] {
  try {
    const v = JSON.parse(readFileSync(contextFile(dataDir), "utf8")) as { managers?: unknown };
    return Array.isArray(v.managers) ? v.managers.filter((m): m is string => typeof m === "string") : [];
  } catch {
    return [];
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

/** What a command handler works with. */
export class Context {
  readonly hosts: string[];
  /** The hosts came from the context file, which is then kept up to date with the cluster's managers. */
  readonly hostsFromContext: boolean;
  readonly dataDir: string;
  readonly runDir: string;
  private apiClient?: ShoalClient;

  constructor(
    readonly io: CliIo,
    args: ParsedArgs,
  ) {
    this.dataDir = args.string("data-dir") ?? "/var/lib/shoal";
    const hosts = args.strings("host").length > 0 ? args.strings("host") : [io.env.SHOAL_HOST ?? ""];
    const list = hosts
      .flatMap((h) => h.split(","))
      .map((h) => h.trim())
      .filter((h) => h !== "");
    this.hosts = list.length > 0 ? list : contextManagers(this.dataDir);
    this.hostsFromContext = list.length === 0 && this.hosts.length > 0;
    if (this.hosts.length === 0) this.hosts = ["127.0.0.1:7070"];
    this.runDir = args.string("run-dir") ?? "/run/shoal";
  }

  /**
   * The manager API client (created on first use). It follows the managers the cluster names; when the hosts
   * came from the context file, the file follows too, so a later command starts at a manager that answered.
   */
  get client(): ShoalClient {
    this.apiClient ??= new ShoalClient({
      managers: this.hosts,
      ...(this.hostsFromContext ? { onManagers: (m: readonly string[]) => saveContextManagers(this.dataDir, m) } : {}),
    });
    return this.apiClient;
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
