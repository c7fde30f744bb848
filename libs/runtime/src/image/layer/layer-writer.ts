import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { CorruptImageError, MissingDependencyError } from "../../errors.js";
import type { EntryMeta, PlannedEntry } from "./entry-planner.js";

/** The xattr that marks an overlayfs directory opaque. */
export const OPAQUE_XATTR = "trusted.overlay.opaque";

/** Runs a host tool (mknod, setfattr) and turns its failure into a runtime error naming the entry. */
async function run(program: string, args: string[], entry: string): Promise<void> {
  try {
    await execa(program, args, { stdin: "ignore" });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === "ENOENT") {
      throw new MissingDependencyError(
        program,
        `runtime: ${program} is not installed; install it (Debian: ${program === "setfattr" ? "attr" : "coreutils"})`,
        { cause: err },
      );
    }
    throw new CorruptImageError(
      `runtime: cannot extract layer entry ${JSON.stringify(entry)}: ${program} failed: ${(e.stderr ?? "").trim()}`,
      { cause: err },
    );
  }
}

/** Sets one extended attribute without following a symlink; values go hex-encoded so binary ones survive. */
export async function setXattr(file: string, name: string, value: Buffer, entry: string): Promise<void> {
  await run("setfattr", ["-h", "-n", name, "-v", `0x${value.toString("hex")}`, "--", file], entry);
}

/**
 * Writes planned layer entries under an empty directory, one member at a time: `begin` an entry, `write` the
 * data of a file, `end` it; `finish` once after the last member. Owners are set before modes (chown clears
 * setuid), directory times last (writing into a directory changes its mtime). Never follows a symlink: the
 * planner refused paths through this layer's symlinks, and an existing name is removed before it is replaced.
 */
export class LayerWriter {
  /** Bytes of regular file data written. */
  size = 0;
  private file: { fh: FileHandle; abs: string; plan: PlannedEntry & EntryMeta } | undefined;
  private readonly dirs: Array<{ abs: string; meta: EntryMeta & { path: string } }> = [];

  constructor(private readonly root: string) {}

  /** Starts the entry `plan`: creates it (a file is opened for `write`). */
  async begin(plan: PlannedEntry): Promise<void> {
    const abs = plan.path === "" ? this.root : path.join(this.root, plan.path);
    switch (plan.kind) {
      case "skip":
        return;
      case "opaque":
        await fs.mkdir(abs, { recursive: true });
        await setXattr(abs, OPAQUE_XATTR, Buffer.from("y"), plan.path);
        return;
      case "dir": {
        const st = await fs.lstat(abs).catch(() => undefined);
        if (st !== undefined && !st.isDirectory()) await fs.rm(abs, { force: true, recursive: true });
        if (st === undefined || !st.isDirectory()) await fs.mkdir(abs, { recursive: true });
        this.dirs.push({ abs, meta: plan });
        return;
      }
      default:
    }
    await this.replace(abs);
    switch (plan.kind) {
      case "whiteout":
        await run("mknod", ["--", abs, "c", "0", "0"], plan.path);
        return;
      case "file": {
        // O_EXCL|O_NOFOLLOW: never write through a name that appeared since replace() cleared it.
        const fh = await fs.open(
          abs,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
        this.file = { fh, abs, plan };
        return;
      }
      case "symlink":
        await fs.symlink(plan.target, abs);
        await this.applyMeta(abs, plan, true);
        return;
      case "hardlink":
        await fs.link(path.join(this.root, plan.target), abs);
        return;
      case "char":
      case "block":
        await run(
          "mknod",
          ["--", abs, plan.kind === "char" ? "c" : "b", String(plan.major), String(plan.minor)],
          plan.path,
        );
        await this.applyMeta(abs, plan, false);
        return;
      case "fifo":
        await run("mknod", ["--", abs, "p"], plan.path);
        await this.applyMeta(abs, plan, false);
        return;
    }
  }

  /** Appends data to the file begun last. */
  async write(bytes: Buffer): Promise<void> {
    if (this.file === undefined) return;
    let done = 0;
    while (done < bytes.length) done += (await this.file.fh.write(bytes, done, bytes.length - done)).bytesWritten;
    this.size += bytes.length;
  }

  /** Ends the current entry: closes a file and sets its owner, mode, xattrs and times. */
  async end(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    await file.fh.close();
    await this.applyMeta(file.abs, file.plan, false);
  }

  /** Closes an open file after a failure (the caller removes the directory). */
  async abort(): Promise<void> {
    await this.file?.fh.close().catch(() => undefined);
    this.file = undefined;
  }

  /** Applies directory metadata, deepest first, once every member was written. */
  async finish(): Promise<void> {
    for (const dir of [...this.dirs].reverse()) await this.applyMeta(dir.abs, dir.meta, false);
  }

  private async applyMeta(abs: string, meta: EntryMeta & { path: string }, isSymlink: boolean): Promise<void> {
    await fs.lchown(abs, meta.uid, meta.gid);
    if (!isSymlink) await fs.chmod(abs, meta.mode);
    for (const [name, value] of meta.xattrs) await setXattr(abs, name, value, meta.path);
    await fs.lutimes(abs, meta.mtime, meta.mtime);
  }

  /** Makes the parent directories and removes whatever the name holds now (a member may replace an earlier one). */
  private async replace(abs: string): Promise<void> {
    await fs.mkdir(path.dirname(abs), { recursive: true });
    await fs.rm(abs, { force: true, recursive: true });
  }
}
