import { CorruptImageError } from "../../errors.js";

/** Size of a tar block: headers and the padding of member data are multiples of it. */
export const BLOCK = 512;

/** The kind of a tar member after GNU and PAX meta headers have been folded in. */
export type TarEntryType = "file" | "hardlink" | "symlink" | "char" | "block" | "dir" | "fifo" | "unsupported";

/** One member of a tar archive, with PAX and GNU long-name overrides already applied. */
export interface TarEntry {
  /** The member name as written (not normalized). */
  path: string;
  /** Target of a symlink or hardlink, "" for other types. */
  linkpath: string;
  type: TarEntryType;
  /** The raw typeflag character, for messages about unsupported members. */
  typeflag: string;
  /** Permission bits including setuid, setgid and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of member data that follow the header. */
  size: number;
  /** Modification time in seconds since the epoch (PAX times may have a fraction). */
  mtime: number;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records. */
  xattrs: Map<string, Buffer>;
  /** Offset of the member's (last) header block in the archive. */
  headerOffset: number;
  /** Offset of the member's data in the archive. */
  dataOffset: number;
}

/** The fields of one raw 512-byte header block. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** Reads a NUL-terminated string field. */
function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return (nul === -1 ? field : field.subarray(0, nul)).toString("utf8");
}

/**
 * Reads a numeric field: octal ASCII (padded with spaces or NULs), or GNU base-256 when the high bit of the first
 * byte is set. Returns undefined for a malformed or negative number.
 */
export function parseNumber(block: Buffer, start: number, length: number): number | undefined {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative base-256
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] ?? 0);
      if (value > Number.MAX_SAFE_INTEGER) return undefined;
    }
    return value;
  }
  const text = field
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  return parseInt(text, 8);
}

/** True when every byte of the block is zero (an end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Verifies the header checksum: the byte sum with the checksum field read as spaces (unsigned or signed). */
export function checksumMatches(block: Buffer): boolean {
  const stored = parseNumber(block, 148, 8);
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/**
 * Parses one header block (ustar, GNU or v7). Throws CorruptImageError naming `offset` when the checksum or a
 * numeric field is bad.
 */
export function parseHeader(block: Buffer, offset: number, label: string): RawHeader {
  if (!checksumMatches(block)) {
    throw new CorruptImageError(
      `runtime: ${label}: bad tar header checksum at offset ${offset}; the archive is corrupt or not a tar file`,
    );
  }
  const magic = block.subarray(257, 263).toString("latin1");
  let name = cString(block, 0, 100);
  // POSIX ustar keeps a prefix of long names in bytes 345..500; GNU tar ("ustar  ") uses that area otherwise.
  if (magic === "ustar\0") {
    const prefix = cString(block, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  const number = (field: string, start: number, length: number): number => {
    const value = parseNumber(block, start, length);
    if (value === undefined) {
      throw new CorruptImageError(
        `runtime: ${label}: bad ${field} field in the tar header of ${JSON.stringify(name)} at offset ${offset}`,
      );
    }
    return value;
  };
  return {
    name,
    mode: number("mode", 100, 8) & 0o7777,
    uid: number("uid", 108, 8),
    gid: number("gid", 116, 8),
    size: number("size", 124, 12),
    mtime: number("mtime", 136, 12),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: cString(block, 157, 100),
    devmajor: magic.startsWith("ustar") ? number("devmajor", 329, 8) : 0,
    devminor: magic.startsWith("ustar") ? number("devminor", 337, 8) : 0,
  };
}

/** Maps a typeflag to an entry type (v7 regular files whose name ends in `/` are directories). */
export function entryType(typeflag: string, name: string): TarEntryType {
  switch (typeflag) {
    case "0":
    case "7":
      return "file";
    case "\0":
      return name.endsWith("/") ? "dir" : "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "char";
    case "4":
      return "block";
    case "5":
      return "dir";
    case "6":
      return "fifo";
    default:
      return "unsupported";
  }
}
