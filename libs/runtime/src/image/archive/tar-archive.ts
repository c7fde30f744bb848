import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { CorruptImageError, NotFoundError, RuntimeError } from "../../errors.js";
import { detectCompression } from "../layer/unpack-layer.js";
import { normalizeEntryPath } from "../layer/entry-planner.js";
import type { TarEntry } from "../tar/tar-header.js";
import { TarReader } from "../tar/tar-reader.js";

/** Largest JSON document (manifest, index, config) read from an archive into memory. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * An image tarball indexed for random access: member name -> offset and size, so members can be read in any
 * order without unpacking the archive. A gzip-compressed tarball is first decompressed into `tmpDir`.
 */
export class TarArchive {
  private constructor(
    private readonly file: string,
    private readonly members: Map<string, TarEntry>,
    readonly label: string,
  ) {}

  /** Indexes `file` (plain or gzip tar). Throws CorruptImageError for a damaged archive, NotFoundError if absent. */
  static async open(file: string, tmpDir: string): Promise<TarArchive> {
    const label = `image archive ${path.basename(file)}`;
    const fh = await fs.open(file, "r").catch((err: unknown) => {
      if ((err as { code?: string }).code === "ENOENT")
        throw new NotFoundError("image", file, `runtime: image archive ${JSON.stringify(file)} does not exist`);
      throw err;
    });
    const head = Buffer.alloc(4);
    try {
      await fh.read(head, 0, 4, 0);
    } finally {
      await fh.close();
    }
    let tarFile = file;
    if (detectCompression(head) === "gzip") {
      tarFile = path.join(tmpDir, "archive.tar");
      try {
        await pipeline(createReadStream(file), createGunzip(), createWriteStream(tarFile));
      } catch (err) {
        throw new CorruptImageError(`runtime: ${label}: corrupt gzip data: ${(err as Error).message}`, { cause: err });
      }
    }
    const reader = new TarReader(label);
    const members = new Map<string, TarEntry>();
    for await (const chunk of createReadStream(tarFile) as AsyncIterable<Buffer>) {
      for (const ev of reader.push(chunk)) {
        if (ev.kind !== "entry") continue;
        let name: string;
        try {
          name = normalizeEntryPath(ev.entry.path);
        } catch (err) {
          if (err instanceof RuntimeError) continue; // never addressed: archive names are looked up, not extracted
          throw err;
        }
        members.set(name, ev.entry);
      }
      if (reader.done) break;
    }
    reader.end();
    return new TarArchive(tarFile, members, label);
  }

  /** True when the archive holds a regular file (possibly through links) named `name`. */
  has(name: string): boolean {
    return this.resolve(name, false) !== undefined;
  }

  /** Size in bytes of the member `name`; CorruptImageError naming it when missing. */
  sizeOf(name: string): number {
    return this.mustResolve(name).size;
  }

  /** Streams the member `name`; CorruptImageError naming it when missing. */
  open(name: string): Readable {
    const entry = this.mustResolve(name);
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: entry.dataOffset, end: entry.dataOffset + entry.size - 1 });
  }

  /** Reads the member `name` into memory (at most `limit` bytes). */
  async read(name: string, limit = MAX_JSON_BYTES): Promise<Buffer> {
    const entry = this.mustResolve(name);
    if (entry.size > limit)
      throw new CorruptImageError(
        `runtime: ${this.label}: ${JSON.stringify(name)} is ${entry.size} bytes, more than the ${limit} allowed`,
      );
    const chunks: Buffer[] = [];
    for await (const chunk of this.open(name) as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  private mustResolve(name: string): TarEntry {
    const entry = this.resolve(name, true);
    if (entry === undefined)
      throw new CorruptImageError(
        `runtime: ${this.label} has no file ${JSON.stringify(name)}; the archive is incomplete`,
      );
    return entry;
  }

  /** Follows symlinks and hardlinks inside the archive (docker save links shared layers), at most 16 hops. */
  private resolve(name: string, strict: boolean): TarEntry | undefined {
    let current = name;
    for (let hop = 0; hop < 16; hop++) {
      let key: string;
      try {
        key = normalizeEntryPath(current);
      } catch (err) {
        if (strict)
          throw new CorruptImageError(`runtime: ${this.label}: ${JSON.stringify(name)} points outside the archive`, {
            cause: err,
          });
        return undefined;
      }
      const entry = this.members.get(key);
      if (entry === undefined) return undefined;
      if (entry.type === "file") return entry;
      if (entry.type === "hardlink") current = entry.linkpath;
      else if (entry.type === "symlink")
        current = entry.linkpath.startsWith("/")
          ? entry.linkpath
          : path.posix.join(path.posix.dirname(key), entry.linkpath);
      else return undefined;
    }
    if (strict) throw new CorruptImageError(`runtime: ${this.label}: too many links resolving ${JSON.stringify(name)}`);
    return undefined;
  }
}
