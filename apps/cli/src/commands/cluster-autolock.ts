import { existsSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { ApiError, type ShoalClient } from "@shoal/api";
import { formatUnlockKey, InvalidUnlockKeyError, newUnlockKey, parseUnlockKey } from "@shoal/trust";
import { stringOption, type OptionDef, type ParsedArgs } from "../args/parser.js";
import type { Command, Context } from "../context.js";
import { CliError } from "../errors.js";

// Autolock in the CLI (docs/design/trust.md §4.9, §4.11): the CLI makes the unlock key, sends it to the leader
// and prints it once; `cluster unlock` gives it to this node's locked manager through its local socket.

/** `--unlock-key-file`, shared by `cluster unlock` and `cluster init --force-new-cluster`. */
export const UNLOCK_KEY_FILE_OPTION: OptionDef = stringOption(
  "unlock-key-file",
  "FILE",
  "Read the unlock key from FILE (`-` for stdin) instead of the terminal",
);

/** The lines that show a new unlock key, once, with what to do with it. */
export function unlockKeyLines(key: string, what: string): string[] {
  return [
    `${what} To unlock a manager after it restarts, run \`shoal cluster unlock\` as root on its node and give this key:`,
    "",
    `    ${key}`,
    "",
    "Keep it somewhere safe (a password manager): it is shown only now, and no command shows it again. If the key is",
    "lost while managers run, make a new one with `shoal cluster unlock-key --rotate`; if it is lost and every",
    "manager has restarted, the cluster's data cannot be read.",
    "",
  ];
}

/** Makes an unlock key and turns autolock on with it through `client`; the key's text. */
export async function enableAutolock(client: ShoalClient): Promise<string> {
  const key = formatUnlockKey(newUnlockKey());
  await client.call("clusterAutolock", { body: { enabled: true, unlockKey: key } });
  return key;
}

/** Everything a stream gives, as text. */
async function readAll(stream: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** A line typed on the terminal without echoing it (the terminal is put in raw mode meanwhile). */
function promptHidden(ctx: Context, prompt: string): Promise<string> {
  const stdin = ctx.io.stdin as Readable & { setRawMode?: (raw: boolean) => unknown };
  ctx.err(prompt);
  stdin.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = () => {
      stdin.off("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      ctx.err("\n");
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === "\r" || ch === "\n") {
          finish();
          return resolve(text);
        }
        if (ch === "\u0003" || ch === "\u0004") {
          finish();
          return reject(new CliError("SHOAL_ERR_ABORTED", "no unlock key was given"));
        }
        text = ch === "\u007f" || ch === "\b" ? text.slice(0, -1) : text + ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

/**
 * The unlock key: from `--unlock-key-file` (`-`: stdin), else typed on the terminal (not echoed), else read
 * from stdin when it is not a terminal. A malformed key is refused here, before anything is sent.
 */
export async function readUnlockKey(ctx: Context, p: ParsedArgs): Promise<string> {
  const file = p.string("unlock-key-file");
  const where = file === undefined ? "the terminal" : file === "-" ? "stdin" : file;
  let text: string;
  try {
    if (file !== undefined) text = file === "-" ? await readAll(ctx.io.stdin) : readFileSync(file, "utf8");
    else if ((ctx.io.stdin as { isTTY?: boolean }).isTTY) text = await promptHidden(ctx, "Unlock key: ");
    else text = await readAll(ctx.io.stdin);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(
      "SHOAL_ERR_UNLOCK_KEY_FILE",
      `cannot read the unlock key from ${where}: ${(e as Error).message}`,
      "give a readable file holding the unlock key (SHLKEY-1-...), or type it when asked",
    );
  }
  const key = text.trim();
  if (!key)
    throw new CliError(
      "SHOAL_ERR_UNLOCK_KEY_FILE",
      `${where} gave no unlock key`,
      "give the unlock key printed when autolock was turned on or the key was last rotated",
    );
  try {
    parseUnlockKey(key);
  } catch (e) {
    if (!(e instanceof InvalidUnlockKeyError)) throw e;
    throw new CliError(e.code, `the unlock key is malformed: ${e.detail}`, e.hint, { cause: e });
  }
  return key;
}

/** This node's manager through its local socket, or an error saying none runs here. */
function localManager(ctx: Context): ShoalClient {
  if (!existsSync(ctx.localSocket))
    throw new CliError(
      "SHOAL_ERR_NO_LOCAL_MANAGER",
      `no manager runs on this node: its socket ${ctx.localSocket} does not exist`,
      "run `shoal cluster unlock` as root on the node of the locked manager (with its --run-dir)",
    );
  return ctx.localManagerClient(10_000);
}

/** Whether an error is a locked manager's answer. */
const isLocked = (e: unknown): boolean => e instanceof ApiError && e.code === "SHOAL_ERR_LOCKED";

/** Waits until this node's manager answers as an unlocked one (it starts after the unlock); false on timeout. */
async function untilServing(local: ShoalClient, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      await local.call("info");
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}

/**
 * Gives this node's locked manager the key, and waits until it serves again; what happened, in a line (to
 * stdout for `cluster unlock`, to stderr within `cluster init`).
 */
export async function unlockLocalManager(
  ctx: Context,
  p: ParsedArgs,
  local: ShoalClient,
  say: (line: string) => void,
): Promise<void> {
  const key = await readUnlockKey(ctx, p);
  await local.call("unlock", { body: { unlockKey: key } });
  say(
    (await untilServing(local, 60_000))
      ? "The manager is unlocked and serves again.\n"
      : "The manager is unlocked; it is still starting (its log says how far it got).\n",
  );
}

/**
 * Unlocks a manager `cluster init` started that waits for its key (an autolocked manager's state with
 * --force-new-cluster). When that fails the manager is stopped with `stop`, so the command can simply be run
 * again.
 */
export async function unlockStartedManager(
  ctx: Context,
  p: ParsedArgs,
  local: ShoalClient,
  stop: () => Promise<void>,
): Promise<void> {
  ctx.err("The manager is locked (autolock): give the cluster's unlock key to go on.\n");
  try {
    await unlockLocalManager(ctx, p, local, (line) => ctx.err(line));
  } catch (e) {
    await stop();
    if (!(e instanceof ApiError || e instanceof CliError)) throw e;
    const hint = `${e.hint ? `${e.hint}; ` : ""}the manager started for it was stopped: run the command again`;
    throw new CliError(e.code, e.message, hint, { cause: e });
  }
}

/**
 * `ready` for a starting manager (`cluster init`): its info, or "locked" when it waits for its unlock key
 * (a restart of an autolocked manager with --force-new-cluster).
 */
export async function infoOrLocked(local: ShoalClient): Promise<"locked" | object> {
  try {
    return await local.call("info");
  } catch (e) {
    if (isLocked(e)) return "locked";
    throw e;
  }
}

/** `shoal cluster unlock [--unlock-key-file F]`. */
export const clusterUnlockCommand: Command = {
  name: "cluster unlock",
  usage: "[OPTIONS]",
  summary: "Unlock this node's manager (autolock) with the cluster's unlock key",
  syntax: { options: [UNLOCK_KEY_FILE_OPTION] },
  run: async (ctx, p) => {
    await unlockLocalManager(ctx, p, localManager(ctx), (line) => ctx.out(line));
    return 0;
  },
};

/** `shoal cluster unlock-key [--rotate]`. */
export const clusterUnlockKeyCommand: Command = {
  name: "cluster unlock-key",
  usage: "[OPTIONS]",
  summary: "Say which unlock key autolock uses, or replace it with a new one (--rotate)",
  syntax: {
    options: [
      {
        name: "rotate",
        type: "boolean",
        help: "Make a new unlock key and print it once: running managers rewrap their data key with it",
      },
    ],
  },
  run: async (ctx, p) => {
    if (p.flag("rotate")) {
      const key = formatUnlockKey(newUnlockKey());
      await ctx.client.call("unlockKeyRotate", { body: { unlockKey: key } });
      ctx.out(
        [
          ...unlockKeyLines(key, "The unlock key was rotated."),
          "A manager that was down during the rotation still needs the previous key once; it then takes the new one.",
          "",
        ].join("\n"),
      );
      return 0;
    }
    const autolock = (await ctx.client.call("clusterInspect")).autolock;
    ctx.out(
      autolock
        ? `Autolock is on with unlock key ${autolock.unlockKeyId} (set ${autolock.since}). No command shows the key itself; make a new one with \`shoal cluster unlock-key --rotate\`.\n`
        : "Autolock is off: there is no unlock key. Turn it on with `shoal cluster update --autolock=true`.\n",
    );
    return 0;
  },
};

/** `shoal cluster update --autolock=true|false`. */
export const clusterUpdateCommand: Command = {
  name: "cluster update",
  usage: "[OPTIONS]",
  summary: "Change the cluster's settings: turn autolock on or off",
  syntax: {
    options: [
      {
        name: "autolock",
        type: "boolean",
        help: "true: managers keep their data key wrapped with a new unlock key (printed once) and start locked after a restart; false: plain again",
      },
    ],
  },
  run: async (ctx, p) => {
    if (!p.has("autolock")) throw p.usage("nothing to update: give --autolock=true or --autolock=false");
    if (p.flag("autolock")) {
      const key = await enableAutolock(ctx.client);
      ctx.out(unlockKeyLines(key, "Autolock is on.").join("\n"));
      return 0;
    }
    await ctx.client.call("clusterAutolock", { body: { enabled: false } });
    ctx.out("Autolock is off: every manager keeps its data key plain again and restarts without a key.\n");
    return 0;
  },
};
