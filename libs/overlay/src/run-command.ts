import { execa } from "execa";
import { NetworkCommandError } from "./errors.js";

/** What a command printed on stdout. */
export interface CommandOutput {
  readonly stdout: string;
}

/**
 * Runs a program with arguments and, when given, `input` on its stdin; resolves with its output once it exits
 * with status 0 and rejects otherwise. The bridge network runs every `ip`, `nft` and `sysctl` through one, so
 * tests can record or fake them.
 */
export type RunCommand = (
  file: string,
  args: readonly string[],
  options?: { readonly input?: string },
) => Promise<CommandOutput>;

/** The default RunCommand: execa, failures turned into NetworkCommandError with the command's stderr. */
export const runCommand: RunCommand = async (file, args, options) => {
  try {
    const r = await execa(file, args, { input: options?.input ?? "", stripFinalNewline: false });
    return { stdout: r.stdout };
  } catch (err) {
    const stderr =
      typeof (err as { stderr?: unknown }).stderr === "string" ? (err as { stderr: string }).stderr : String(err);
    throw new NetworkCommandError([file, ...args], stderr, { cause: err });
  }
};
