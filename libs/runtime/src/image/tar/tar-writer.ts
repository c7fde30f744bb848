import { BLOCK } from "./tar-header.js";

/** One member for {@link writeTar}. Paths are written as given (tests use this to craft hostile archives). */
export interface TarWriterEntry {
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  /** Contents of a regular file. */
  data?: Buffer | string;
  /** Target of a symlink or hardlink. */
  linkpath?: string;
  /** Permission bits; default 0644 for files, 0755 for directories, 0777 for symlinks. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; default 0. */
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** Written as PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Record<string, string | Buffer>;
}

const TYPEFLAG: Record<TarWriterEntry["type"], string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

/** Writes `value` as a NUL-padded octal field of `length` bytes. */
function octal(block: Buffer, start: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, "0") + "\0", start, length, "latin1");
}

/** A ustar header block for `name` (at most 100 bytes) with a correct checksum. */
function header(name: string, typeflag: string, size: number, e: Partial<TarWriterEntry>, linkname = ""): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, "utf8");
  octal(block, 100, 8, e.mode ?? 0);
  octal(block, 108, 8, e.uid ?? 0);
  octal(block, 116, 8, e.gid ?? 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, Math.floor(e.mtime ?? 0));
  block.write(typeflag, 156, 1, "latin1");
  block.write(linkname, 157, 100, "utf8");
  block.write("ustar\x0000", 257, 8, "latin1");
  octal(block, 329, 8, e.devmajor ?? 0);
  octal(block, 337, 8, e.devminor ?? 0);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "latin1");
  return block;
}

/** One PAX record `"<len> key=value\n"`, where len counts the whole record including itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

/** Data followed by zero padding up to the next block boundary. */
function padded(data: Buffer): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return pad === 0 ? data : Buffer.concat([data, Buffer.alloc(pad)]);
}

/** The header block(s) and padded data of one member; a PAX header precedes it for long names and xattrs. */
export function tarMember(e: TarWriterEntry): Buffer {
  const data = e.type === "file" ? Buffer.from(e.data ?? "") : Buffer.alloc(0);
  const linkpath = e.linkpath ?? "";
  const defaults = { mode: e.type === "dir" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644 };
  const meta = { ...defaults, ...e };
  const records: Buffer[] = [];
  if (Buffer.byteLength(e.path) > 100) records.push(paxRecord("path", Buffer.from(e.path)));
  if (Buffer.byteLength(linkpath) > 100) records.push(paxRecord("linkpath", Buffer.from(linkpath)));
  for (const [name, value] of Object.entries(e.xattrs ?? {}))
    records.push(paxRecord(`SCHILY.xattr.${name}`, Buffer.from(value)));
  const parts: Buffer[] = [];
  if (records.length > 0) {
    const body = Buffer.concat(records);
    parts.push(header("PaxHeaders/entry", "x", body.length, {}), padded(body));
  }
  parts.push(
    header(
      Buffer.byteLength(e.path) > 100 ? e.path.slice(0, 99) : e.path,
      TYPEFLAG[e.type],
      data.length,
      meta,
      Buffer.byteLength(linkpath) > 100 ? "" : linkpath,
    ),
  );
  parts.push(padded(data));
  return Buffer.concat(parts);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END: Buffer = Buffer.alloc(2 * BLOCK);

/** A whole tar archive holding `entries` in order, with the end-of-archive marker. */
export function writeTar(entries: readonly TarWriterEntry[]): Buffer {
  return Buffer.concat([...entries.map(tarMember), TAR_END]);
}
