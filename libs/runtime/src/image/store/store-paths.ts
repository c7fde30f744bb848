import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * The image store's directory layout under its root:
 * `blobs/sha256/<hex>` (manifests and configs), `layers/<hex of diff id>/diff/` (unpacked layers),
 * `images.json` (metadata), `tmp/` (work in progress; emptied at startup).
 */
export class StorePaths {
  constructor(readonly root: string) {}

  get blobs(): string {
    return path.join(this.root, "blobs", "sha256");
  }
  get layers(): string {
    return path.join(this.root, "layers");
  }
  get tmp(): string {
    return path.join(this.root, "tmp");
  }
  get metadata(): string {
    return path.join(this.root, "images.json");
  }
  /** The file of blob `digest`. */
  blob(digest: string): string {
    return path.join(this.blobs, hex(digest));
  }
  /** The directory of layer `diffId` (its files are in `diff/` below it). */
  layer(diffId: string): string {
    return path.join(this.layers, hex(diffId));
  }
  /** The overlayfs lower dir of layer `diffId`. */
  layerDiff(diffId: string): string {
    return path.join(this.layer(diffId), "diff");
  }

  /** Makes the directories and removes what a crash left in `tmp/` and half-written metadata files. */
  async prepare(): Promise<void> {
    await fs.mkdir(this.blobs, { recursive: true });
    await fs.mkdir(this.layers, { recursive: true });
    await fs.rm(this.tmp, { recursive: true, force: true });
    await fs.mkdir(this.tmp, { recursive: true });
    for (const name of await fs.readdir(this.root)) {
      if (name.startsWith("images.json.tmp-")) await fs.rm(path.join(this.root, name), { force: true });
    }
  }

  /** A new empty work directory under `tmp/`. */
  async workDir(kind: string): Promise<string> {
    return fs.mkdtemp(path.join(this.tmp, `${kind}-`));
  }

  /** Deletes a file or directory tree, first renaming it into `tmp/` so it vanishes at once. */
  async discard(target: string): Promise<void> {
    const moved = path.join(this.tmp, `discard-${randomUUID()}`);
    try {
      await fs.rename(target, moved);
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return;
      throw err;
    }
    await fs.rm(moved, { recursive: true, force: true });
  }
}

/** The hex part of `sha256:<hex>`. */
export function hex(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}
