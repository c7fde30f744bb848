import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import path from "node:path";
import { syncDir } from "@shoal/common";

/**
 * Small file-system helpers for durable storage. Durability rule: a file's creation, rename or removal is only
 * durable once its DIRECTORY has been fsynced, and its contents once the file itself has been.
 */

/** Creates `dir` (and missing parents); when anything was created, fsyncs the parents so the creation is durable. */
export async function ensureDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const created = await fs.mkdir(abs, { recursive: true });
  if (created === undefined) return;
  for (let d = abs; ; d = path.dirname(d)) {
    await syncDir(path.dirname(d));
    if (d === created || path.dirname(d) === d) break;
  }
}

/** Writes all of `buf` at `position`, looping over short writes. */
export async function writeAll(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, done, buf.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Truncates the file at `file` to `size` bytes and fsyncs it (size changes are metadata: `sync`, not `datasync`). */
export async function truncateDurably(file: string, size: number): Promise<void> {
  const fh = await fs.open(file, "r+");
  try {
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
