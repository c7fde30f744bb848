import fs from "node:fs/promises";
import { StorageError } from "../../errors.js";
import type { ImageRecord } from "../../types.js";
import { writeFileDurably } from "@shoal/common";

/** What the image store knows, kept in memory and persisted as one JSON file. */
export interface StoreState {
  /** Images by id (config digest). Their repoTags mirror `tags`. */
  images: Map<string, ImageRecord>;
  /** Normalized tag -> image id. */
  tags: Map<string, string>;
  /** Unpacked layers by diff id, with the bytes of file data they hold. */
  layers: Map<string, { size: number }>;
}

interface MetadataFile {
  version: 1;
  images: ImageRecord[];
  tags: Record<string, string>;
  layers: Record<string, { size: number }>;
}

/** An empty state. */
export function emptyState(): StoreState {
  return { images: new Map(), tags: new Map(), layers: new Map() };
}

/** A deep copy to change while a mutation is in progress (the live state stays untouched until commit). */
export function cloneState(s: StoreState): StoreState {
  return structuredClone(s);
}

/** Reads the metadata file; an absent file is an empty store. Tags are authoritative for repoTags. */
export async function readMetadata(file: string): Promise<StoreState> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return emptyState();
    throw new StorageError(`runtime: cannot read the image metadata ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let doc: MetadataFile;
  try {
    doc = JSON.parse(text) as MetadataFile;
  } catch (err) {
    throw new StorageError(
      `runtime: the image metadata ${file} is not valid JSON; restore it or remove the image store directory`,
      { cause: err },
    );
  }
  if (doc.version !== 1)
    throw new StorageError(
      `runtime: the image metadata ${file} has version ${String(doc.version)}, this runtime reads version 1`,
    );
  const state: StoreState = {
    images: new Map(doc.images.map((img) => [img.id, { ...img, repoTags: [] }])),
    tags: new Map(Object.entries(doc.tags)),
    layers: new Map(Object.entries(doc.layers)),
  };
  for (const [tag, id] of state.tags) {
    const img = state.images.get(id);
    if (img === undefined) state.tags.delete(tag);
    else img.repoTags.push(tag);
  }
  for (const img of state.images.values()) img.repoTags.sort();
  return state;
}

/** Replaces the metadata file atomically: write a temp file, fsync it, rename it over, fsync the directory. */
export async function writeMetadata(file: string, state: StoreState): Promise<void> {
  const doc: MetadataFile = {
    version: 1,
    images: [...state.images.values()].sort((a, b) => a.id.localeCompare(b.id)),
    tags: Object.fromEntries([...state.tags].sort(([a], [b]) => a.localeCompare(b))),
    layers: Object.fromEntries([...state.layers].sort(([a], [b]) => a.localeCompare(b))),
  };
  try {
    await writeFileDurably(file, JSON.stringify(doc, null, 1));
  } catch (err) {
    throw new StorageError(`runtime: cannot write the image metadata ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Moves tag `tag` to image `id` (taking it from any other image) in `state`. */
export function setTag(state: StoreState, tag: string, id: string): void {
  untag(state, tag);
  state.tags.set(tag, id);
  const img = state.images.get(id);
  if (img !== undefined) img.repoTags = [...img.repoTags, tag].sort();
}

/** Removes tag `tag` from whichever image holds it. */
export function untag(state: StoreState, tag: string): void {
  const id = state.tags.get(tag);
  if (id === undefined) return;
  state.tags.delete(tag);
  const img = state.images.get(id);
  if (img !== undefined) img.repoTags = img.repoTags.filter((t) => t !== tag);
}

/** Layers and blobs some image of `state` references. */
export function referenced(state: StoreState): { layers: Set<string>; blobs: Set<string> } {
  const layers = new Set<string>();
  const blobs = new Set<string>();
  for (const img of state.images.values()) {
    for (const l of img.layers) layers.add(l);
    blobs.add(img.id);
    blobs.add(img.manifestDigest);
  }
  return { layers, blobs };
}
