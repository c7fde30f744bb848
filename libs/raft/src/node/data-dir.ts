import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { DataDirError } from "../errors.js";
import type { NodeId } from "../core/types.js";

/** The identity recorded in a data dir on first start; a later start must agree with it. */
export interface DataDirIdentity {
  readonly nodeId: NodeId;
  readonly clusterId: string;
}

const META = "raft-identity.json";
const LOCK = "LOCK";

/** Reads the identity of a data dir, or undefined for a fresh one. */
export function readIdentity(dir: string): DataDirIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, META), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataDirError(`raft: cannot read ${join(dir, META)}`, { cause: e });
  }
  const v = JSON.parse(text) as Partial<DataDirIdentity>;
  if (typeof v.nodeId !== "number" || typeof v.clusterId !== "string") {
    throw new DataDirError(
      `raft: ${join(dir, META)} is malformed: restore it from a backup or start with an empty data dir`,
    );
  }
  return { nodeId: v.nodeId, clusterId: v.clusterId };
}

/** Writes the identity atomically (temp file, fsync, rename). */
export function writeIdentity(dir: string, id: DataDirIdentity): void {
  const tmp = join(dir, `${META}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(id));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, META));
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Data dirs locked by this process (a pid match alone could be a stale lock from an earlier life). */
const heldHere = new Set<string>();

/**
 * Takes the data dir's lock so that two processes never run one node. A lock left by a dead process is
 * taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK);
  if (heldHere.has(path))
    throw new DataDirError(`raft: data dir ${dir} is in use by this process: stop that node first`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(path);
      return () => {
        heldHere.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST")
        throw new DataDirError(`raft: cannot lock ${dir}`, { cause: e });
      const pid = Number(readFileSync(path, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new DataDirError(
          `raft: data dir ${dir} is in use by process ${pid}: stop it first, or use another --data-dir`,
        );
      }
      unlinkSync(path);
    }
  }
  throw new DataDirError(`raft: cannot lock ${dir}`);
}
