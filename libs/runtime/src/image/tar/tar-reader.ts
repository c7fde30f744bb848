import { CorruptImageError } from "../../errors.js";
import { parsePax, paxInteger, paxTime } from "./pax.js";
import type { PaxRecords } from "./pax.js";
import { BLOCK, entryType, isZeroBlock, parseHeader } from "./tar-header.js";
import type { RawHeader, TarEntry } from "./tar-header.js";

/** What the reader found in the bytes pushed so far. */
export type TarEvent =
  /** A member's header; `data` events for its `size` bytes follow, then `entry-end`. */
  | { kind: "entry"; entry: TarEntry }
  /** A piece of the current member's data (a view of the pushed chunk: consume it before the next push). */
  | { kind: "data"; entry: TarEntry; bytes: Buffer }
  | { kind: "entry-end"; entry: TarEntry };

/** Largest PAX or GNU long-name body accepted, so a hostile header cannot make the reader buffer gigabytes. */
const MAX_META_BODY = 1024 * 1024;

type Phase =
  | { name: "header" }
  | { name: "data"; entry: TarEntry; remaining: number; padding: number }
  | { name: "meta"; header: RawHeader; body: Buffer[]; have: number; padding: number; headerOffset: number }
  | { name: "eof" };

/**
 * An incremental tar reader: push bytes in chunks of any size and get back the members found. Understands
 * ustar, GNU long names and link names (`L`, `K`), PAX local and global headers (`x`, `g`: path, linkpath, size,
 * uid, gid, mtime, `SCHILY.xattr.*`), base-256 numbers, and checks every header's checksum. Pure: no I/O.
 *
 * Invariant: data events of a member arrive in order and sum to its size, then exactly one entry-end.
 */
export class TarReader {
  private phase: Phase = { name: "header" };
  /** Bytes of an incomplete header block carried to the next push. */
  private pending: Buffer = Buffer.alloc(0);
  /** Archive offset of the next byte pushed. */
  private offset = 0;
  private sawZeroBlock = false;
  private global: PaxRecords = new Map();
  private local: PaxRecords | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  /** Last member seen, for messages about truncation. */
  private last = "";

  /** @param label names the archive in error messages, e.g. `layer sha256:ab12...`. */
  constructor(private readonly label: string) {}

  /** True once the end-of-archive marker was read; later bytes are ignored. */
  get done(): boolean {
    return this.phase.name === "eof";
  }

  /** Consumes `chunk` and returns the events it completes. Throws CorruptImageError on a corrupt header. */
  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const phase = this.phase;
      if (phase.name === "eof") {
        this.offset += chunk.length - pos;
        return events;
      }
      if (phase.name === "data" || phase.name === "meta") {
        const wanted = phase.name === "data" ? phase.remaining : phase.header.size - phase.have;
        const take = Math.min(wanted, chunk.length - pos);
        if (take > 0) {
          const bytes = chunk.subarray(pos, pos + take);
          if (phase.name === "data") {
            phase.remaining -= take;
            events.push({ kind: "data", entry: phase.entry, bytes });
          } else {
            phase.body.push(Buffer.from(bytes));
            phase.have += take;
          }
          pos += take;
          this.offset += take;
          continue;
        }
        const skip = Math.min(phase.padding, chunk.length - pos);
        phase.padding -= skip;
        pos += skip;
        this.offset += skip;
        if (phase.padding > 0) continue;
        if (phase.name === "data") events.push({ kind: "entry-end", entry: phase.entry });
        else this.finishMeta(phase.header, Buffer.concat(phase.body), phase.headerOffset);
        this.phase = { name: "header" };
        continue;
      }
      // Header phase: collect one 512-byte block.
      const need = BLOCK - this.pending.length;
      const take = Math.min(need, chunk.length - pos);
      const piece = chunk.subarray(pos, pos + take);
      pos += take;
      this.offset += take;
      if (take < need) {
        this.pending = Buffer.concat([this.pending, piece]);
        continue;
      }
      const block = this.pending.length === 0 ? piece : Buffer.concat([this.pending, piece]);
      this.pending = Buffer.alloc(0);
      this.onHeaderBlock(block, this.offset - BLOCK, events);
    }
    return events;
  }

  /**
   * Declares the input finished. Throws CorruptImageError when it ended inside a member or a header. Ending at a
   * member boundary without the end-of-archive marker is accepted, as Go's and GNU tar's readers do.
   */
  end(): void {
    const phase = this.phase;
    if (phase.name === "eof") return;
    if (phase.name === "data") {
      throw new CorruptImageError(
        `runtime: ${this.label}: tar is truncated inside member ${JSON.stringify(phase.entry.path)} (data at offset ${phase.entry.dataOffset}, ${phase.remaining} bytes missing)`,
      );
    }
    if (
      phase.name === "meta" ||
      this.pending.length > 0 ||
      this.local !== undefined ||
      this.longName !== undefined ||
      this.longLink !== undefined
    ) {
      throw new CorruptImageError(
        `runtime: ${this.label}: tar is truncated inside a header at offset ${this.offset}${this.last ? ` (after member ${JSON.stringify(this.last)})` : ""}`,
      );
    }
  }

  private onHeaderBlock(block: Buffer, offset: number, events: TarEvent[]): void {
    if (isZeroBlock(block)) {
      if (this.sawZeroBlock) this.phase = { name: "eof" };
      this.sawZeroBlock = true;
      return;
    }
    if (this.sawZeroBlock) {
      throw new CorruptImageError(
        `runtime: ${this.label}: a lone zero block before offset ${offset} inside the tar; the archive is corrupt`,
      );
    }
    const header = parseHeader(block, offset, this.label);
    const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    if ("xgLK".includes(header.typeflag)) {
      if (header.size > MAX_META_BODY) {
        throw new CorruptImageError(
          `runtime: ${this.label}: extended header at offset ${offset} is ${header.size} bytes, more than the ${MAX_META_BODY} allowed`,
        );
      }
      if (header.size === 0) this.finishMeta(header, Buffer.alloc(0), offset);
      else this.phase = { name: "meta", header, body: [], have: 0, padding, headerOffset: offset };
      return;
    }
    const entry = this.makeEntry(header, offset);
    this.last = entry.path;
    events.push({ kind: "entry", entry });
    if (entry.size === 0) events.push({ kind: "entry-end", entry });
    else this.phase = { name: "data", entry, remaining: entry.size, padding: (BLOCK - (entry.size % BLOCK)) % BLOCK };
  }

  private finishMeta(header: RawHeader, body: Buffer, offset: number): void {
    const where = `${this.label}: extended header at offset ${offset}`;
    switch (header.typeflag) {
      case "x":
        this.local = parsePax(body, where);
        break;
      case "g":
        for (const [k, v] of parsePax(body, where)) this.global.set(k, v);
        break;
      case "L":
        this.longName = cut(body);
        break;
      default:
        this.longLink = cut(body);
    }
  }

  private makeEntry(header: RawHeader, headerOffset: number): TarEntry {
    const pax: PaxRecords = new Map([...this.global, ...(this.local ?? [])]);
    const where = `${this.label}: member at offset ${headerOffset}`;
    const path = pax.get("path")?.toString("utf8") ?? this.longName ?? header.name;
    const linkpath = pax.get("linkpath")?.toString("utf8") ?? this.longLink ?? header.linkname;
    for (const key of pax.keys()) {
      if (key.startsWith("GNU.sparse.")) {
        throw new CorruptImageError(
          `runtime: ${this.label}: member ${JSON.stringify(path)} is a GNU sparse file, which image layers may not hold`,
        );
      }
    }
    const xattrs = new Map<string, Buffer>();
    for (const [key, value] of pax)
      if (key.startsWith("SCHILY.xattr.")) xattrs.set(key.slice("SCHILY.xattr.".length), value);
    this.local = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    const type = entryType(header.typeflag, path);
    const size = paxInteger(pax, "size", where) ?? header.size;
    return {
      path,
      linkpath,
      type,
      typeflag: header.typeflag,
      mode: header.mode,
      uid: paxInteger(pax, "uid", where) ?? header.uid,
      gid: paxInteger(pax, "gid", where) ?? header.gid,
      // Only regular files carry data, whatever the size field of other types says (as Go's reader does).
      size: type === "file" || type === "unsupported" ? size : 0,
      mtime: paxTime(pax, "mtime", where) ?? header.mtime,
      devmajor: header.devmajor,
      devminor: header.devminor,
      xattrs,
      headerOffset,
      dataOffset: headerOffset + BLOCK,
    };
  }
}

/** A GNU long name body: the name up to the first NUL. */
function cut(body: Buffer): string {
  const nul = body.indexOf(0);
  return (nul === -1 ? body : body.subarray(0, nul)).toString("utf8");
}
