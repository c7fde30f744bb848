import { randomUUID } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces `file` with `text` atomically and durably: a unique temp file beside it is written and fsynced,
 * renamed over `file`, and the directory fsynced so the rename survives a power loss. On failure the temp file
 * is removed and `file` is as it was.
 */
export async function writeFileDurably(file: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.tmp-${randomUUID()}`;
  try {
    await writeFileSynced(tmp, text, mode);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(file));
}

/** Creates `file` (it must not exist) with `text` and fsyncs it. */
export async function writeFileSynced(file: string, text: string, mode = 0o644): Promise<void> {
  const fh = await open(file, "wx", mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Fsyncs a directory so that a rename or creation in it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
