import fs from "node:fs/promises";
import path from "node:path";
import type { Snapshot } from "../core/types.js";
import { RaftConfigError, RaftCorruptionError, SnapshotOutOfDateError, StorageFailedError } from "../errors.js";
import { ensureDir, writeAll } from "./fs-util.js";
import { PLAIN_RECORDS, type RecordCipher } from "./record-cipher.js";
import { SerialQueue, syncDir } from "@shoal/common";
import {
  type SnapshotFileInfo,
  decodeSnapshotFile,
  encodeSnapshotFile,
  newestFirst,
  parseSnapshotFileName,
  snapshotFileName,
} from "./snapshot-file.js";

/** Options of {@link SnapshotStore.open}. */
export interface SnapshotStoreOptions {
  /** How many of the newest snapshot files to keep (default 2, at least 1). */
  readonly retain?: number;
  /** Seals snapshot data (default {@link PLAIN_RECORDS}, for tests); files sealed with another key are refused. */
  readonly cipher?: RecordCipher;
}

const TMP_SUFFIX = ".tmp";
const BROKEN_SUFFIX = ".broken";

/**
 * Snapshot files in one directory (format: snapshot-file.ts). Invariants: a save is atomic (temp file in the same
 * directory, fsynced, renamed, directory fsynced) and durable before it resolves, so a crash leaves either the old
 * set of snapshots or the new one, plus at most a temp file that the next open deletes. Operations run one at a time.
 */
export class SnapshotStore {
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly dir: string,
    private readonly retain: number,
    private readonly cipher: RecordCipher,
  ) {}

  /** Opens (creating if needed) the store in `dir` and deletes temp files a crash left behind. */
  static async open(dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    const retain = options.retain ?? 2;
    if (!Number.isSafeInteger(retain) || retain < 1) {
      throw new RaftConfigError(`raft: snapshot retain must be an integer >= 1, got ${retain}`);
    }
    await ensureDir(dir);
    const store = new SnapshotStore(dir, retain, options.cipher ?? PLAIN_RECORDS);
    await store.removeFiles((await fs.readdir(dir)).filter((n) => n.endsWith(TMP_SUFFIX)));
    return store;
  }

  /** The snapshot files present, newest first (not checked: see {@link load}). */
  async list(): Promise<SnapshotFileInfo[]> {
    const out: SnapshotFileInfo[] = [];
    for (const name of await fs.readdir(this.dir)) {
      const info = parseSnapshotFileName(name);
      if (info) out.push(info);
    }
    return out.sort(newestFirst);
  }

  /**
   * Saves `snap` atomically; synced before returning. Then deletes all but the newest `retain` files. Throws
   * {@link SnapshotOutOfDateError} when a newer snapshot file already exists (the same position is replaced).
   */
  save(snap: Snapshot): Promise<void> {
    return this.queue.run(async () => {
      const newest = (await this.list())[0];
      if (newest && newestFirst(snap.meta, newest) > 0) {
        throw new SnapshotOutOfDateError(
          `raft: snapshot at index ${snap.meta.index} term ${snap.meta.term} is older than the stored ${newest.name}`,
        );
      }
      const name = snapshotFileName(snap.meta);
      const tmp = path.join(this.dir, name + TMP_SUFFIX);
      try {
        const fh = await fs.open(tmp, "w");
        try {
          let at = 0;
          for (const part of encodeSnapshotFile(snap, this.cipher)) {
            await writeAll(fh, part, at);
            at += part.byteLength;
          }
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fs.rename(tmp, path.join(this.dir, name));
        await syncDir(this.dir);
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw new StorageFailedError(`raft: saving snapshot ${name} in ${this.dir} failed`, { cause: err });
      }
      await this.removeFiles((await this.list()).slice(this.retain).map((f) => f.name));
    });
  }

  /**
   * Loads the newest valid snapshot, or null when there is none. A corrupt file is renamed to `*.broken` (kept for
   * inspection), reported in `warnings`, and the next older one is tried. A file of another format version or
   * sealed with another key is no corruption: StorageFormatError or StorageKeyError is thrown and nothing renamed.
   */
  load(): Promise<{ snapshot: Snapshot | null; warnings: string[] }> {
    return this.queue.run(async () => {
      const warnings: string[] = [];
      for (const info of await this.list()) {
        const file = path.join(this.dir, info.name);
        try {
          return { snapshot: decodeSnapshotFile(await fs.readFile(file), info, this.cipher, file), warnings };
        } catch (err) {
          if (!(err instanceof RaftCorruptionError)) throw err;
          await fs.rename(file, file + BROKEN_SUFFIX);
          await syncDir(this.dir);
          warnings.push(
            `raft: snapshot file ${file} is corrupt (${err.message.replace(/^raft: /, "")}); ` +
              `renamed to ${info.name}${BROKEN_SUFFIX} and trying an older snapshot`,
          );
        }
      }
      return { snapshot: null, warnings };
    });
  }

  private async removeFiles(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    for (const name of names) await fs.rm(path.join(this.dir, name), { force: true });
    await syncDir(this.dir);
  }
}
