import { mkdir, readFile } from "node:fs/promises";
import { writeFileDurably } from "@shoal/common";
import { dirname } from "node:path";
import { EMPTY_POOL, type AddressPool } from "./address-pool.js";
import { NetworkStateError } from "./errors.js";
import type { PublishedPortRule } from "./types.js";

/** What is kept of one task's attachment. */
export interface TaskRecord {
  /** Host-side veth name. */
  readonly veth: string;
  /** Set once every piece of the attachment was made; a record without it is an attach cut short. */
  readonly ready: boolean;
}

/** What a bridge network keeps across restarts of its process. */
export interface NetworkState {
  /** Canonical CIDR the addresses were handed out from. */
  readonly subnet: string;
  readonly pool: AddressPool;
  /** The tasks that have an attachment, whole or begun. */
  readonly tasks: Readonly<Record<string, TaskRecord>>;
  /** The rules last published, applied again by setup. */
  readonly published: readonly PublishedPortRule[];
}

const VERSION = 1;

/** A state with nothing attached or published. */
export function emptyState(subnet: string): NetworkState {
  return { subnet, pool: EMPTY_POOL, tasks: {}, published: [] };
}

function isRecordOf(v: unknown, valueOk: (x: unknown) => boolean): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every(valueOk);
}

const isString = (x: unknown): boolean => typeof x === "string";
const isTaskRecord = (x: unknown): boolean =>
  isRecordOf(x, () => true) && typeof x.veth === "string" && typeof x.ready === "boolean";

/**
 * Reads the state file; a missing file is an empty state. Refuses a file of another version or, when `subnet`
 * is given, of another subnet: addresses handed out from one subnet mean nothing in another.
 */
export async function readState(file: string, subnet: string | undefined): Promise<NetworkState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState(subnet ?? "");
    throw new NetworkStateError(file, "cannot be read", { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NetworkStateError(file, "is not JSON; restore it or remove it after detaching every task", {
      cause: err,
    });
  }
  const s = raw as Partial<Record<keyof NetworkState | "version", unknown>>;
  const pool = s.pool as Partial<Record<keyof AddressPool, unknown>> | undefined;
  if (
    s.version !== VERSION ||
    typeof s.subnet !== "string" ||
    !isRecordOf(pool?.byTask, isString) ||
    (pool.last !== undefined && typeof pool.last !== "string") ||
    !isRecordOf(s.tasks, isTaskRecord) ||
    !Array.isArray(s.published)
  ) {
    throw new NetworkStateError(
      file,
      `is not a version ${VERSION} network state; restore it or remove it after detaching every task`,
    );
  }
  if (subnet !== undefined && s.subnet !== subnet) {
    throw new NetworkStateError(
      file,
      `was written for subnet ${s.subnet}, not ${subnet}; tear the network down before changing its subnet`,
    );
  }
  const { version: _version, ...state } = raw as NetworkState & { version: number };
  return state;
}

/**
 * Replaces the state file durably: a temp file beside it is written and fsynced, renamed over it, and the
 * directory fsynced, so after a crash the file holds either the old or the new state, whole.
 */
export async function writeState(file: string, state: NetworkState): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFileDurably(file, JSON.stringify({ version: VERSION, ...state }, null, 1) + "\n");
  } catch (err) {
    throw new NetworkStateError(file, "cannot be written", { cause: err });
  }
}
