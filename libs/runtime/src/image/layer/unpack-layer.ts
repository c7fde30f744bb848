import { createHash } from "node:crypto";
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { CorruptImageError, RuntimeError, UnsupportedMediaTypeError } from "../../errors.js";
import { TarReader } from "../tar/tar-reader.js";
import { EntryPlanner } from "./entry-planner.js";
import { LayerWriter } from "./layer-writer.js";

/** What unpacking a layer blob found. */
export interface UnpackedLayer {
  /** sha256 of the bytes as read (the blob digest; equal to diffId for a plain tar). */
  digest: string;
  /** sha256 of the uncompressed tar: the layer's diff id. */
  diffId: string;
  /** Bytes of regular file data written. */
  size: number;
}

/** Which compression the first bytes of a blob show. */
export function detectCompression(head: Buffer): "gzip" | "zstd" | "none" {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/** Errors zlib raises for damaged input. */
function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("Z_");
}

/**
 * Unpacks a layer blob (plain or gzip tar, told apart by magic bytes) into the empty directory `dir`, computing
 * the blob digest and the diff id on the way. The caller compares them with what the manifest and config promise
 * and removes `dir` on failure. Throws CorruptImageError, PathEscapeError or UnsupportedMediaTypeError (zstd).
 */
export async function unpackLayer(source: AsyncIterable<Buffer>, dir: string, label: string): Promise<UnpackedLayer> {
  const rawHash = createHash("sha256");
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < 4) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    head = Buffer.concat([head, r.value]);
  }
  async function* raw(): AsyncGenerator<Buffer> {
    rawHash.update(head);
    yield head;
    while (!ended) {
      const r = await it.next();
      if (r.done === true) return;
      rawHash.update(r.value);
      yield r.value;
    }
  }
  const compression = detectCompression(head);
  if (compression === "zstd")
    throw new UnsupportedMediaTypeError("application/vnd.oci.image.layer.v1.tar+zstd", `${label} (zstd-compressed)`);
  const plain: AsyncIterable<Buffer> =
    compression === "gzip" ? pipeline(Readable.from(raw()), createGunzip(), () => undefined) : raw();

  const diffHash = createHash("sha256");
  const reader = new TarReader(label);
  const planner = new EntryPlanner();
  const writer = new LayerWriter(dir);
  try {
    for await (const chunk of plain) {
      diffHash.update(chunk);
      if (reader.done) continue;
      for (const ev of reader.push(chunk)) {
        if (ev.kind === "entry") await writer.begin(planner.plan(ev.entry));
        else if (ev.kind === "data") await writer.write(ev.bytes);
        else await writer.end();
      }
    }
    reader.end();
    await writer.finish();
  } catch (err) {
    await writer.abort();
    if (err instanceof RuntimeError) throw err;
    if (isZlibError(err))
      throw new CorruptImageError(`runtime: ${label}: corrupt gzip data: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  return { digest: `sha256:${rawHash.digest("hex")}`, diffId: `sha256:${diffHash.digest("hex")}`, size: writer.size };
}
