import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { logFileIndex } from "./log-format.js";

/** One log file held open, so that it can be read to its end even after it is renamed or deleted. */
export interface OpenLogFile {
  /** Rotation index when it was opened: 0 for the live file, n for `container.log.<n>`. */
  index: number;
  /** Inode number: identifies the file across renames. */
  ino: number;
  handle: FileHandle;
}

/** How many times a snapshot is retried while a rotation keeps changing the files under it. */
const SNAPSHOT_ATTEMPTS = 20;

/**
 * Opens every log file of `dir`, oldest first (the live file last), as one consistent picture: the files are
 * opened, then their names are checked again, and it is retried while a rotation moved something in between.
 * Holding the files open keeps their inode numbers from being reused, so an unchanged second look proves
 * nothing moved. A missing dir gives no files. The caller closes the handles.
 */
export async function openLogFiles(dir: string): Promise<OpenLogFile[]> {
  let files: OpenLogFile[] = [];
  for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
    files = await openOnce(dir);
    if (await unchanged(dir, files)) break;
    await closeLogFiles(files);
    files = [];
  }
  // NB: after many failed attempts the last picture is used as is; rotations that fast lose entries anyway.
  if (files.length === 0) files = await openOnce(dir);
  return files;
}

/** Closes handles, ignoring errors. */
export async function closeLogFiles(files: readonly OpenLogFile[]): Promise<void> {
  await Promise.all(files.map((f) => f.handle.close().catch(() => undefined)));
}

async function logNames(dir: string): Promise<Map<number, string>> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const byIndex = new Map<number, string>();
  for (const name of names) {
    const index = logFileIndex(name);
    if (index !== undefined) byIndex.set(index, name);
  }
  return byIndex;
}

async function openOnce(dir: string): Promise<OpenLogFile[]> {
  const names = await logNames(dir);
  const files: OpenLogFile[] = [];
  // Newest first: a file moving during the scan moves to a higher index, so it is not missed.
  for (const index of [...names.keys()].sort((a, b) => a - b)) {
    const handle = await open(join(dir, names.get(index) as string), "r").catch(() => undefined);
    if (handle === undefined) continue;
    files.push({ index, ino: (await handle.stat()).ino, handle });
  }
  return files.reverse();
}

async function unchanged(dir: string, files: readonly OpenLogFile[]): Promise<boolean> {
  const names = await logNames(dir);
  if (names.size !== files.length) return false;
  for (const file of files) {
    const name = names.get(file.index);
    if (name === undefined) return false;
    const now = await stat(join(dir, name)).catch(() => undefined);
    if (now?.ino !== file.ino) return false;
  }
  return true;
}
