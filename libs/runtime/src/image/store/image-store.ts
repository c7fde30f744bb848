import fs from "node:fs/promises";
import path from "node:path";
import {
  CorruptImageError,
  InUseError,
  InvalidReferenceError,
  NotFoundError,
  PullNotConfiguredError,
} from "../../errors.js";
import type { ImageLoadResult, ImageService } from "../../executor.js";
import type { ImageRecord } from "../../types.js";
import { readDockerSave } from "../archive/docker-save.js";
import { readOciLayout } from "../archive/oci-layout.js";
import { TarArchive } from "../archive/tar-archive.js";
import type { Platform } from "../oci/manifest.js";
import { platformOf } from "../oci/manifest.js";
import { DIGEST, formatReference, parseReference, parseTagReference } from "../reference.js";
import type { ImageFetcher } from "../source.js";
import { SerialQueue } from "@shoal/common";
import { importImages } from "./import-images.js";
import type { StoreState } from "./metadata.js";
import { cloneState, readMetadata, referenced, setTag, untag, writeMetadata } from "./metadata.js";
import { pullCandidate } from "./pull-candidate.js";
import { StorePaths, hex } from "./store-paths.js";

/** Tells which containers use an image (ids); the runtime supplies it. */
export type UsersOf = (imageId: string) => string[];

/** How to open an {@link ImageStore}. */
export interface ImageStoreOptions {
  /** The store's directory (the runtime passes `<dataDir>/images`). */
  root: string;
  /** The registry client `pull` uses; without one, pull throws PullNotConfiguredError. */
  fetcher?: ImageFetcher;
  /** Which containers use an image; by default none. */
  usersOf?: UsersOf;
  /** The platform chosen from indexes; default this host's (`linux/amd64` here). */
  platform?: Platform;
}

/** An image with the directories of its unpacked layers. */
export interface ResolvedImage {
  image: ImageRecord;
  /** Absolute `diff` directories, BOTTOM layer first (overlayfs `lowerdir` wants the reverse order). */
  layerDirs: string[];
}

/**
 * The node's image store: content-addressed blobs, layers unpacked once per diff id and shared between images,
 * and one metadata file. Mutations (load, pull, tag, remove, prune) run one at a time; reads see the last
 * committed state. Every import is all or nothing.
 */
export class ImageStore implements ImageService {
  private readonly queue = new SerialQueue();
  private usersOf: UsersOf;

  private constructor(
    private readonly paths: StorePaths,
    private state: StoreState,
    private readonly fetcher: ImageFetcher | undefined,
    usersOf: UsersOf | undefined,
    private readonly platform: Platform,
  ) {
    this.usersOf = usersOf ?? (() => []);
  }

  /** Opens (or creates) the store at `options.root`, removing what a crash left behind. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const paths = new StorePaths(path.resolve(options.root));
    await paths.prepare();
    const state = await readMetadata(paths.metadata);
    // Layers and blobs not in the metadata were renamed into place by an import that crashed before committing.
    const { layers, blobs } = referenced(state);
    for (const name of await fs.readdir(paths.layers)) {
      if (!layers.has(`sha256:${name}`)) await paths.discard(path.join(paths.layers, name));
    }
    for (const name of await fs.readdir(paths.blobs)) {
      if (!blobs.has(`sha256:${name}`)) await paths.discard(path.join(paths.blobs, name));
    }
    for (const diffId of [...state.layers.keys()]) if (!layers.has(diffId)) state.layers.delete(diffId);
    return new ImageStore(
      paths,
      state,
      options.fetcher,
      options.usersOf,
      options.platform ?? platformOf("linux", process.arch),
    );
  }

  /** Sets the probe that tells which containers use an image (consulted by remove and prune). */
  setUsersOf(usersOf: UsersOf): void {
    this.usersOf = usersOf;
  }

  /** The store's root directory. */
  get root(): string {
    return this.paths.root;
  }

  load(tarball: string): Promise<ImageLoadResult> {
    return this.queue.run(async () => {
      const work = await this.paths.workDir("load");
      try {
        const archive = await TarArchive.open(tarball, work);
        const candidates = archive.has("manifest.json")
          ? await readDockerSave(archive)
          : archive.has("index.json")
            ? await readOciLayout(archive, this.platform)
            : undefined;
        if (candidates === undefined) {
          throw new CorruptImageError(
            `runtime: ${archive.label} is neither a docker save tarball (manifest.json) nor an OCI image layout (index.json)`,
          );
        }
        const { state, images } = await importImages(this.paths, this.state, work, candidates);
        this.state = state;
        return { images };
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    });
  }

  pull(ref: string, options?: { signal?: AbortSignal }): Promise<ImageRecord> {
    const fetcher = this.fetcher;
    if (fetcher === undefined) return Promise.reject(new PullNotConfiguredError(ref));
    return this.queue.run(async () => {
      const work = await this.paths.workDir("pull");
      try {
        const candidate = await pullCandidate(fetcher, ref, this.platform, options?.signal);
        const { state, images } = await importImages(this.paths, this.state, work, [candidate]);
        this.state = state;
        return images[0] as ImageRecord;
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    });
  }

  list(): Promise<ImageRecord[]> {
    return Promise.resolve([...this.state.images.values()].map((img) => structuredClone(img)));
  }

  inspect(ref: string): Promise<ImageRecord> {
    return Promise.resolve().then(() => structuredClone(this.find(ref).image));
  }

  /** Finds an image and its layer directories for creating a container. */
  async resolve(ref: string): Promise<ResolvedImage> {
    const image = await this.inspect(ref);
    return { image, layerDirs: image.layers.map((d) => this.paths.layerDiff(d)) };
  }

  tag(source: string, target: string): Promise<ImageRecord> {
    return this.queue.run(async () => {
      const tag = parseTagReference(target);
      const { image } = this.find(source);
      const next = cloneState(this.state);
      setTag(next, tag, image.id);
      await writeMetadata(this.paths.metadata, next);
      this.state = next;
      return structuredClone(next.images.get(image.id) as ImageRecord);
    });
  }

  remove(ref: string, options?: { force?: boolean }): Promise<{ untagged: string[]; deleted: string[] }> {
    return this.queue.run(async () => {
      const { image, tag } = this.find(ref);
      const next = cloneState(this.state);
      if (tag !== undefined && image.repoTags.length > 1) {
        untag(next, tag);
        await writeMetadata(this.paths.metadata, next);
        this.state = next;
        return { untagged: [tag], deleted: [] };
      }
      const users = this.usersOf(image.id);
      if (users.length > 0 && options?.force !== true) throw new InUseError("image", ref, users);
      const untagged = [...image.repoTags];
      for (const t of untagged) untag(next, t);
      // A forced removal of an image in use only untags it: its layers stay while containers run on them.
      const deleted = users.length > 0 ? [] : [image.id];
      for (const id of deleted) next.images.delete(id);
      await this.commitAndCollect(next);
      return { untagged, deleted };
    });
  }

  prune(options?: {
    all?: boolean;
  }): Promise<{ deletedImages: string[]; deletedLayers: string[]; reclaimedBytes: number }> {
    return this.queue.run(async () => {
      const next = cloneState(this.state);
      const deletedImages: string[] = [];
      for (const img of this.state.images.values()) {
        if ((options?.all === true || img.repoTags.length === 0) && this.usersOf(img.id).length === 0) {
          for (const t of img.repoTags) untag(next, t);
          next.images.delete(img.id);
          deletedImages.push(img.id);
        }
      }
      const { layers, bytes } = await this.commitAndCollect(next);
      return { deletedImages, deletedLayers: layers, reclaimedBytes: bytes };
    });
  }

  /**
   * Commits `next` after dropping layers no image references, then deletes those layers and every blob no image
   * references. The metadata is written FIRST: a crash after it leaves only orphans, which `open` removes.
   */
  private async commitAndCollect(next: StoreState): Promise<{ layers: string[]; bytes: number }> {
    const used = referenced(next);
    const goneLayers = [...next.layers.keys()].filter((d) => !used.layers.has(d));
    let bytes = 0;
    for (const d of goneLayers) {
      bytes += next.layers.get(d)?.size ?? 0;
      next.layers.delete(d);
    }
    await writeMetadata(this.paths.metadata, next);
    this.state = next;
    for (const d of goneLayers) await this.paths.discard(this.paths.layer(d));
    for (const name of await fs.readdir(this.paths.blobs)) {
      if (used.blobs.has(`sha256:${name}`)) continue;
      const file = path.join(this.paths.blobs, name);
      bytes += (await fs.stat(file).catch(() => undefined))?.size ?? 0;
      await this.paths.discard(file);
    }
    return { layers: goneLayers, bytes };
  }

  /**
   * Finds an image by full id (`sha256:<hex>` or `<hex>`), reference (tag or `name@digest`), or a unique id
   * prefix of at least 4 hex digits. `tag` is set when a tag named it. Throws NotFoundError.
   */
  private find(ref: string): { image: ImageRecord; tag?: string } {
    const byId = (id: string): ImageRecord | undefined => this.state.images.get(id);
    const full = DIGEST.test(ref) ? ref : /^[0-9a-f]{64}$/.test(ref) ? `sha256:${ref}` : undefined;
    const direct = full !== undefined ? byId(full) : undefined;
    if (direct !== undefined) return { image: direct };
    let refError: unknown;
    try {
      const parsed = parseReference(ref);
      if (parsed.digest !== undefined) {
        const rd = `${parsed.name}@${parsed.digest}`;
        for (const img of this.state.images.values()) if (img.repoDigests.includes(rd)) return { image: img };
      } else {
        const tag = formatReference(parsed);
        const id = this.state.tags.get(tag);
        const image = id !== undefined ? byId(id) : undefined;
        if (image !== undefined) return { image, tag };
      }
    } catch (err) {
      refError = err;
    }
    const prefix = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(ref)?.[1];
    if (prefix !== undefined) {
      const matches = [...this.state.images.keys()].filter((id) => hex(id).startsWith(prefix));
      if (matches.length === 1) return { image: byId(matches[0] as string) as ImageRecord };
      if (matches.length > 1) {
        throw new NotFoundError(
          "image",
          ref,
          `runtime: image id prefix ${JSON.stringify(ref)} matches ${matches.length} images; give more digits of the id`,
        );
      }
    }
    if (refError instanceof InvalidReferenceError) throw refError;
    throw new NotFoundError(
      "image",
      ref,
      `runtime: no image named ${JSON.stringify(ref)}; list images, or load or pull it first`,
    );
  }
}
