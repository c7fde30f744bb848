import fs from "node:fs/promises";
import path from "node:path";
import { StorageFormatError } from "../errors.js";
import { unsupportedFormat } from "./format-errors.js";
import { parseSnapshotFileName, snapshotKeyId } from "./snapshot-file.js";
import { WAL_VERSION, decodeSegmentHeader } from "./wal-payload.js";
import { RecordType, readRecordAt } from "./wal-record.js";
import { parseSegmentName } from "./wal-segment.js";

// A segment header or a snapshot's head is far shorter than this.
const HEAD_BYTES = 4096;

/**
 * The key ids named by the headers of the WAL segments and snapshot files a {@link DiskStorage} keeps under
 * `dataDir`, without opening the storage or changing anything; empty when it holds no data. Only the first bytes of
 * each file are read; a file whose header cannot be read is left for `load()` to report. Throws StorageFormatError
 * for a file of another format version. Lets a caller that lost its key tell "no data" from "data under key X".
 */
export async function storedKeyIds(dataDir: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const [sub, isOurs] of [
    ["wal", (n: string) => parseSegmentName(n) !== null],
    ["snap", (n: string) => parseSnapshotFileName(n) !== null],
  ] as const) {
    const dir = path.join(dataDir, sub);
    const names = await fs.readdir(dir).catch(() => []);
    for (const name of names.filter(isOurs)) {
      const file = path.join(dir, name);
      const id = sub === "wal" ? segmentKeyId(await head(file), file) : snapshotKeyId(await head(file), file);
      if (id !== null) ids.add(id);
    }
  }
  return [...ids];
}

async function head(file: string): Promise<Buffer> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function segmentKeyId(start: Buffer, file: string): string | null {
  const rec = readRecordAt(start, 0);
  if (!rec.ok || rec.type !== RecordType.SegmentHeader) return null;
  try {
    return decodeSegmentHeader(rec.payload).keyId;
  } catch (err) {
    if (err instanceof StorageFormatError) throw unsupportedFormat("WAL segment", file, err.version, WAL_VERSION);
    return null;
  }
}
