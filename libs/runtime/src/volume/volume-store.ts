import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { InUseError, NotFoundError, StorageError } from "../errors.js";
import type { VolumeService } from "../executor.js";
import type { VolumeInfo } from "../types.js";
import { checkVolumeLabels, checkVolumeName } from "./volume-name.js";
import { SerialQueue } from "@shoal/common";
import { syncDir, writeFileSynced } from "@shoal/common";

/** Options of {@link VolumeStore}. */
export interface VolumeStoreOptions {
  /** Directory holding the volumes (the runtime passes `<dataDir>/volumes`); created when missing. */
  root: string;
  /** The containers that mount a volume (running or not); `remove` is refused while this is non-empty. */
  usersOf?: (name: string) => readonly string[];
  /** Epoch milliseconds, for `createdAt`; defaults to the system clock. */
  now?: () => number;
}

/** What `meta.json` holds. */
interface VolumeMeta {
  createdAt: string;
  labels: Record<string, string>;
}

/** Prefix of the staging dirs of creations and removals; valid names never start with `.`. */
const TEMP_PREFIX = ".tmp-";

/**
 * Named volumes on disk, like Docker's `local` driver: `<root>/<name>/_data` is the mountpoint and
 * `<root>/<name>/meta.json` holds the creation time and labels.
 *
 * Invariant: `<root>/<name>` exists only complete. A volume is built in a `.tmp-*` dir and renamed into place;
 * a removal renames it to a `.tmp-*` dir before deleting it. Leftover `.tmp-*` dirs of a crash are deleted on
 * the first operation. Mutations are serialized.
 */
export class VolumeStore implements VolumeService {
  readonly root: string;
  private usersOf: (name: string) => readonly string[];
  private readonly now: () => number;
  private readonly queue = new SerialQueue();
  private ready: Promise<void> | undefined;

  constructor(options: VolumeStoreOptions) {
    this.root = path.resolve(options.root);
    this.usersOf = options.usersOf ?? (() => []);
    this.now = options.now ?? Date.now;
  }

  /** Sets the probe `remove` asks for a volume's users (the runtime sets it once its containers are known). */
  setUsersOf(usersOf: (name: string) => readonly string[]): void {
    this.usersOf = usersOf;
  }

  /** Creates a volume; like Docker, an existing name returns the existing volume unchanged (labels ignored). */
  async create(name: string, options: { labels?: Record<string, string> } = {}): Promise<VolumeInfo> {
    checkVolumeName(name);
    const labels = checkVolumeLabels(options.labels);
    return this.serialized(async () => {
      const existing = await this.read(name);
      if (existing) return existing;
      const temp = this.tempPath(name);
      const meta: VolumeMeta = { createdAt: new Date(this.now()).toISOString(), labels };
      try {
        await fs.mkdir(path.join(temp, "_data"), { recursive: true, mode: 0o755 });
        await writeFileSynced(path.join(temp, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
        await fs.rename(temp, this.dir(name));
        await syncDir(this.root);
      } catch (err) {
        await fs.rm(temp, { recursive: true, force: true });
        throw new StorageError(
          `runtime: cannot create volume ${JSON.stringify(name)} under ${this.root}: ${String(err)}`,
          { cause: err },
        );
      }
      return this.info(name, meta);
    });
  }

  /** Every complete volume, sorted by name. */
  list(): Promise<VolumeInfo[]> {
    return this.serialized(async () => {
      const names = (await fs.readdir(this.root)).filter((n) => !n.startsWith(".")).sort();
      const out: VolumeInfo[] = [];
      for (const name of names) {
        const info = await this.read(name);
        if (info) out.push(info);
      }
      return out;
    });
  }

  /** The volume named `name`; NotFoundError when there is none. */
  async inspect(name: string): Promise<VolumeInfo> {
    checkVolumeName(name);
    return this.serialized(async () => {
      const info = await this.read(name);
      if (!info) throw new NotFoundError("volume", name);
      return info;
    });
  }

  /** Deletes a volume and its data. NotFoundError when unknown, InUseError while `usersOf` names a container. */
  async remove(name: string): Promise<void> {
    checkVolumeName(name);
    return this.serialized(async () => {
      if (!(await this.read(name))) throw new NotFoundError("volume", name);
      const users = this.usersOf(name);
      if (users.length > 0) throw new InUseError("volume", name, [...users]);
      const doomed = this.tempPath(name);
      try {
        await fs.rename(this.dir(name), doomed);
        await syncDir(this.root);
      } catch (err) {
        throw new StorageError(`runtime: cannot remove volume ${JSON.stringify(name)}: ${String(err)}`, { cause: err });
      }
      // Once renamed the volume is gone for every reader; deleting the data may take a while.
      await fs.rm(doomed, { recursive: true, force: true });
    });
  }

  /** The directory of the volume named `name` (it need not exist). */
  dir(name: string): string {
    return path.join(this.root, name);
  }

  private tempPath(name: string): string {
    return path.join(this.root, `${TEMP_PREFIX}${name}-${randomBytes(6).toString("hex")}`);
  }

  private info(name: string, meta: VolumeMeta): VolumeInfo {
    return {
      name,
      mountpoint: path.join(this.dir(name), "_data"),
      createdAt: meta.createdAt,
      labels: { ...meta.labels },
    };
  }

  /** The volume, or undefined when `<root>/<name>/meta.json` does not exist. */
  private async read(name: string): Promise<VolumeInfo | undefined> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir(name), "meta.json"), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
        return undefined;
      throw new StorageError(`runtime: cannot read volume ${JSON.stringify(name)}: ${String(err)}`, { cause: err });
    }
    let meta: VolumeMeta;
    try {
      meta = parseMeta(JSON.parse(text));
    } catch (err) {
      throw new StorageError(
        `runtime: volume ${JSON.stringify(name)} has a damaged meta.json; remove ${this.dir(name)} by hand`,
        { cause: err },
      );
    }
    return this.info(name, meta);
  }

  /** Runs `fn` after every earlier mutation; the first call creates the root and clears crash leftovers. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    this.ready ??= this.prepare();
    const ready = this.ready;
    return this.queue.run(async () => {
      await ready;
      return fn();
    });
  }

  private async prepare(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      for (const entry of await fs.readdir(this.root)) {
        if (entry.startsWith(TEMP_PREFIX)) await fs.rm(path.join(this.root, entry), { recursive: true, force: true });
      }
    } catch (err) {
      this.ready = undefined;
      throw new StorageError(`runtime: cannot prepare the volume dir ${this.root}: ${String(err)}`, { cause: err });
    }
  }
}

function parseMeta(value: unknown): VolumeMeta {
  if (typeof value !== "object" || value === null) throw new Error("meta.json is not an object");
  const { createdAt, labels } = value as Record<string, unknown>;
  if (typeof createdAt !== "string") throw new Error("meta.json lacks createdAt");
  return { createdAt, labels: checkVolumeLabels(labels ?? {}) };
}
