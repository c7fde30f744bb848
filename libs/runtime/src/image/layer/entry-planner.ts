import { CorruptImageError, PathEscapeError } from "../../errors.js";
import type { TarEntry } from "../tar/tar-header.js";

/** Ownership, permissions and times every written entry carries. */
export interface EntryMeta {
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  xattrs: Map<string, Buffer>;
}

/**
 * What to do for one layer member. Paths are relative to the layer root, normalized, without a leading or
 * trailing slash; `""` is the root itself.
 */
export type PlannedEntry =
  | ({ kind: "file"; path: string; size: number } & EntryMeta)
  | ({ kind: "dir"; path: string } & EntryMeta)
  | ({ kind: "symlink"; path: string; target: string } & EntryMeta)
  /** `target` is a normalized path of an earlier member of the same layer. */
  | { kind: "hardlink"; path: string; target: string }
  | ({ kind: "char" | "block"; path: string; major: number; minor: number } & EntryMeta)
  | ({ kind: "fifo"; path: string } & EntryMeta)
  /** `.wh.<name>`: `path` (the deleted name) becomes an overlayfs whiteout, a char device 0:0. */
  | { kind: "whiteout"; path: string }
  /** `.wh..wh..opq`: the directory `path` hides everything of the layers below. */
  | { kind: "opaque"; path: string }
  /** Nothing to write (aufs bookkeeping members). */
  | { kind: "skip"; path: string };

/** Whiteout prefix of overlay-style layers (the OCI image spec's "whiteout" files). */
export const WHITEOUT_PREFIX = ".wh.";
/** The marker of an opaque directory. */
export const OPAQUE_MARKER = ".wh..wh..opq";

/**
 * Normalizes a member path: drops `.` segments, empty segments and a leading `./`, resolves `..`. Throws
 * PathEscapeError for an absolute path or one whose `..` leaves the root, and CorruptImageError for a NUL byte.
 */
export function normalizeEntryPath(raw: string, what = "path"): string {
  if (raw.includes("\0"))
    throw new CorruptImageError(`runtime: layer entry ${JSON.stringify(raw)} has a NUL byte in its ${what}`);
  if (raw.startsWith("/")) throw new PathEscapeError(raw, `has an absolute ${what}`);
  const out: string[] = [];
  for (const seg of raw.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) throw new PathEscapeError(raw, `has a ${what} whose ".." leaves the layer root`);
      out.pop();
    } else out.push(seg);
  }
  return out.join("/");
}

/** The parent path of a normalized path (`""` for top-level names and the root). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

type Kind = "file" | "dir" | "symlink" | "other";

/**
 * Plans the extraction of one layer, member by member, and refuses members that would write outside the layer:
 * absolute paths, `..` escapes, paths through a symlink this layer created, hardlinks to anything but an earlier
 * non-directory member. Pure: it only tracks the names already planned.
 *
 * Xattrs in the `trusted.overlay.` namespace are dropped: only whiteout markers may make overlayfs metadata.
 */
export class EntryPlanner {
  /** What each planned path is; descendants of a replaced directory are forgotten with it. */
  private readonly seen = new Map<string, Kind>([["", "dir"]]);

  /** Plans `entry`; throws PathEscapeError or CorruptImageError for a member that must not be extracted. */
  plan(entry: TarEntry): PlannedEntry {
    const path = normalizeEntryPath(entry.path);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const parent = parentOf(path);
    this.checkParents(entry.path, path);

    if (name.startsWith(WHITEOUT_PREFIX)) {
      if (entry.type === "dir")
        throw new CorruptImageError(
          `runtime: layer entry ${JSON.stringify(entry.path)} is a directory with a whiteout name`,
        );
      if (name === OPAQUE_MARKER) return { kind: "opaque", path: parent };
      if (name.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return { kind: "skip", path };
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === "." || hidden === "..") throw new PathEscapeError(entry.path, "is a whiteout of a relative name");
      const target = parent === "" ? hidden : `${parent}/${hidden}`;
      this.record(target, "other");
      return { kind: "whiteout", path: target };
    }

    const meta: EntryMeta = {
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      mtime: entry.mtime,
      xattrs: new Map([...entry.xattrs].filter(([k]) => !k.startsWith("trusted.overlay."))),
    };
    switch (entry.type) {
      case "dir":
        this.record(path, "dir");
        return { kind: "dir", path, ...meta };
      case "file":
        if (path === "")
          throw new CorruptImageError(
            `runtime: layer entry ${JSON.stringify(entry.path)} names the layer root as a file`,
          );
        this.record(path, "file");
        return { kind: "file", path, size: entry.size, ...meta };
      case "symlink":
        if (path === "")
          throw new CorruptImageError(
            `runtime: layer entry ${JSON.stringify(entry.path)} names the layer root as a symlink`,
          );
        if (entry.linkpath === "")
          throw new CorruptImageError(
            `runtime: layer entry ${JSON.stringify(entry.path)} is a symlink without a target`,
          );
        this.record(path, "symlink");
        return { kind: "symlink", path, target: entry.linkpath, ...meta };
      case "hardlink": {
        let target: string;
        try {
          target = normalizeEntryPath(entry.linkpath, "hardlink target");
        } catch (err) {
          if (err instanceof PathEscapeError)
            throw new PathEscapeError(
              entry.path,
              `is a hardlink to ${JSON.stringify(entry.linkpath)}, outside the layer`,
            );
          throw err;
        }
        const kind = this.seen.get(target);
        if (kind === undefined || kind === "dir") {
          throw new PathEscapeError(
            entry.path,
            `is a hardlink to ${JSON.stringify(entry.linkpath)}, which is not an earlier file of this layer`,
          );
        }
        this.checkParents(entry.path, target);
        if (target === path)
          throw new CorruptImageError(`runtime: layer entry ${JSON.stringify(entry.path)} is a hardlink to itself`);
        this.record(path, kind);
        return { kind: "hardlink", path, target };
      }
      case "char":
      case "block":
        this.record(path, "other");
        return { kind: entry.type, path, major: entry.devmajor, minor: entry.devminor, ...meta };
      case "fifo":
        this.record(path, "other");
        return { kind: "fifo", path, ...meta };
      case "unsupported":
        throw new CorruptImageError(
          `runtime: layer entry ${JSON.stringify(entry.path)} has tar type ${JSON.stringify(entry.typeflag)}, which image layers may not hold`,
        );
    }
  }

  /** Refuses a path whose ancestors include a symlink or a non-directory planned earlier in this layer. */
  private checkParents(raw: string, path: string): void {
    let prefix = "";
    const segs = path.split("/");
    for (let i = 0; i < segs.length - 1; i++) {
      prefix = i === 0 ? (segs[0] as string) : `${prefix}/${segs[i]}`;
      const kind = this.seen.get(prefix);
      if (kind === "symlink")
        throw new PathEscapeError(raw, `goes through ${JSON.stringify(prefix)}, a symlink of this layer`);
      if (kind !== undefined && kind !== "dir") {
        throw new CorruptImageError(
          `runtime: layer entry ${JSON.stringify(raw)} is under ${JSON.stringify(prefix)}, which this layer made a non-directory`,
        );
      }
    }
  }

  private record(path: string, kind: Kind): void {
    const before = this.seen.get(path);
    if (before === "dir" && kind !== "dir") {
      for (const p of [...this.seen.keys()]) if (p.startsWith(`${path}/`)) this.seen.delete(p);
    }
    this.seen.set(path, kind);
  }
}
