import fs from "node:fs/promises";
import {
  CorruptImageError,
  InUseError,
  InvalidReferenceError,
  NotFoundError,
  RegistryError,
  UnsupportedMediaTypeError,
} from "../errors.js";
import type { ImageLoadResult, ImageService } from "../executor.js";
import type { ImageRecord } from "../types.js";
import { normalizeImageRef, repositoryOf } from "./memory-image-ref.js";

const ID = /^sha256:[a-f0-9]{64}$/;
const ID_PREFIX = /^(?:sha256:)?([a-f0-9]{4,64})$/;

/**
 * The in-memory twin of the image store. Images are seeded with {@link addImage}; `pull` is served from a
 * seeded registry ({@link addRegistryImage}); `load` reads a JSON fixture file (`{"images": [ImageRecord...]}`
 * or an array of records) and refuses real tarballs with UnsupportedMediaTypeError. Layers have no content:
 * prune reports the layers no image references any more, and counts a deleted image's `size` as reclaimed.
 */
export class MemoryImageService implements ImageService {
  private readonly images = new Map<string, ImageRecord>();
  private readonly registry = new Map<string, ImageRecord | Error>();

  /** `usersOf(imageId)`: the containers using an image (remove refuses while non-empty unless forced). */
  constructor(private readonly usersOf: (imageId: string) => readonly string[]) {}

  /** Adds an image to the store (test hook). Its tags are normalized and move from any image that held them. */
  addImage(record: ImageRecord): ImageRecord {
    checkRecord(record);
    const existing = this.images.get(record.id);
    const image = structuredClone(existing ?? { ...record, repoTags: [] });
    image.repoDigests = [...new Set([...image.repoDigests, ...record.repoDigests])];
    this.images.set(image.id, image);
    for (const tag of record.repoTags) this.setTag(normalizeImageRef(tag), image);
    return structuredClone(image);
  }

  /** Makes `pull(ref)` return `image`, or fail with `image` when it is an Error (test hook). */
  addRegistryImage(ref: string, image: ImageRecord | Error): void {
    this.registry.set(normalizeImageRef(ref), image);
  }

  /** Loads a JSON fixture of image records (see the class comment); all or nothing. */
  async load(file: string): Promise<ImageLoadResult> {
    const text = await fs.readFile(file, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UnsupportedMediaTypeError(
        "application/x-tar",
        `${file}: the in-memory image store loads only JSON fixtures of ImageRecords, and this`,
      );
    }
    const records: unknown = Array.isArray(parsed) ? parsed : (parsed as { images?: unknown } | null)?.images;
    if (!Array.isArray(records))
      throw new CorruptImageError(`runtime: ${file}: expected {"images": [...]} or an array of image records`);
    for (const r of records) checkRecord(r);
    return { images: (records as ImageRecord[]).map((r) => this.addImage(r)) };
  }

  /** Serves `ref` from the seeded registry; an unknown reference fails with RegistryError 404. */
  async pull(ref: string, options: { signal?: AbortSignal } = {}): Promise<ImageRecord> {
    const normalized = normalizeImageRef(ref);
    await Promise.resolve();
    options.signal?.throwIfAborted();
    const served = this.registry.get(normalized);
    if (served instanceof Error) throw served;
    if (!served) throw new RegistryError(`runtime: pull ${normalized}: manifest unknown; check the name and tag`, 404);
    const record = structuredClone(served);
    record.repoTags = normalized.includes("@") ? [] : [normalized];
    record.repoDigests = [...record.repoDigests, `${repositoryOf(normalized)}@${record.manifestDigest}`];
    return this.addImage(record);
  }

  list(): Promise<ImageRecord[]> {
    return Promise.resolve([...this.images.values()].map((i) => structuredClone(i)));
  }

  async inspect(ref: string): Promise<ImageRecord> {
    await Promise.resolve();
    return structuredClone(this.find(ref));
  }

  async tag(source: string, target: string): Promise<ImageRecord> {
    const image = this.find(source);
    const normalized = normalizeImageRef(target);
    if (normalized.includes("@")) throw new InvalidReferenceError(target, "a tag target cannot name a digest");
    await Promise.resolve();
    this.setTag(normalized, image);
    return structuredClone(image);
  }

  /**
   * By tag: untags it, and deletes the image when that was its last tag. By id (or digest): deletes the image
   * and all its tags. Deleting an image a container uses is refused with InUseError unless `force`.
   */
  async remove(ref: string, options: { force?: boolean } = {}): Promise<{ untagged: string[]; deleted: string[] }> {
    const image = this.find(ref);
    await Promise.resolve();
    const tag = tryNormalize(ref);
    const untagged = tag !== undefined && image.repoTags.includes(tag) ? [tag] : [...image.repoTags];
    const deletes = untagged.length === image.repoTags.length;
    const users = this.usersOf(image.id);
    if (deletes && users.length > 0 && !options.force) throw new InUseError("image", ref, [...users]);
    image.repoTags = image.repoTags.filter((t) => !untagged.includes(t));
    if (!deletes) return { untagged, deleted: [] };
    this.images.delete(image.id);
    return { untagged, deleted: [image.id] };
  }

  async prune(
    options: { all?: boolean } = {},
  ): Promise<{ deletedImages: string[]; deletedLayers: string[]; reclaimedBytes: number }> {
    await Promise.resolve();
    const doomed = [...this.images.values()].filter(
      (i) => (options.all || i.repoTags.length === 0) && this.usersOf(i.id).length === 0,
    );
    for (const i of doomed) this.images.delete(i.id);
    const kept = new Set([...this.images.values()].flatMap((i) => i.layers));
    const deletedLayers = [...new Set(doomed.flatMap((i) => i.layers))].filter((l) => !kept.has(l));
    return {
      deletedImages: doomed.map((i) => i.id),
      deletedLayers,
      reclaimedBytes: doomed.reduce((n, i) => n + i.size, 0),
    };
  }

  /** Finds an image by tag, digest reference, full id or unique id prefix; NotFoundError otherwise. */
  find(ref: string): ImageRecord {
    if (ID.test(ref)) {
      const image = this.images.get(ref);
      if (image) return image;
      throw new NotFoundError("image", ref);
    }
    const prefix = ID_PREFIX.exec(ref)?.[1];
    let normalized: string | undefined;
    try {
      normalized = normalizeImageRef(ref);
    } catch (err) {
      if (prefix === undefined) throw err;
    }
    if (normalized !== undefined) {
      for (const image of this.images.values()) {
        if (image.repoTags.includes(normalized) || image.repoDigests.includes(normalized)) return image;
      }
    }
    if (prefix !== undefined) {
      const matches = [...this.images.values()].filter((i) => i.id.startsWith(`sha256:${prefix}`));
      if (matches.length === 1) return matches[0] as ImageRecord;
      if (matches.length > 1)
        throw new NotFoundError(
          "image",
          ref,
          `runtime: image id prefix ${JSON.stringify(ref)} is ambiguous; give more digits`,
        );
    }
    throw new NotFoundError("image", ref, `runtime: no image named ${JSON.stringify(ref)}; pull or load it first`);
  }

  private setTag(tag: string, image: ImageRecord): void {
    for (const other of this.images.values()) other.repoTags = other.repoTags.filter((t) => t !== tag);
    image.repoTags.push(tag);
  }
}

function tryNormalize(ref: string): string | undefined {
  try {
    return normalizeImageRef(ref);
  } catch {
    return undefined;
  }
}

function checkRecord(record: unknown): asserts record is ImageRecord {
  const r = record as Partial<ImageRecord> | null;
  if (
    typeof r !== "object" ||
    r === null ||
    typeof r.id !== "string" ||
    !ID.test(r.id) ||
    !Array.isArray(r.repoTags) ||
    !Array.isArray(r.repoDigests) ||
    !Array.isArray(r.layers) ||
    typeof r.config !== "object"
  ) {
    throw new CorruptImageError(
      `runtime: not an image record (needs id sha256:<64 hex>, repoTags, repoDigests, layers, config): ${JSON.stringify(record)?.slice(0, 200)}`,
    );
  }
}
