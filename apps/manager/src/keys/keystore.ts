import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurably } from "@shoal/common";
import { ManagerStartError } from "../errors.js";

/**
 * The manager's key file, `<dataDir>/manager/keys.json` (mode 0600): the data key (DEK) its Raft WAL and snapshots
 * are sealed with. Without autolock the key is stored plainly beside the data it seals: that protects copies of
 * the Raft directory made without this file (a backup of the log alone, a retired disk whose key file was
 * removed), not a reader of the whole data dir. `kek` is null until autolock wraps the DEK.
 */

/** The file's name in the manager's state dir. */
export const KEYS_FILE = "keys.json";
/** The file's format version. */
export const KEYS_VERSION = 1;

/** The data key: its id (named in every WAL segment and snapshot header) and its 256 bits. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/** What keys.json holds; the key is base64. */
export interface KeysFile {
  readonly version: typeof KEYS_VERSION;
  readonly kek: null;
  readonly dek: { readonly id: string; readonly key: string };
}

const KEY_ID = /^[0-9a-f]{16}$/;

/** A new data key: 32 random bytes, and a random 64-bit id in hex. */
export function newKeysFile(random: (n: number) => Buffer = randomBytes): KeysFile {
  return {
    version: KEYS_VERSION,
    kek: null,
    dek: { id: random(8).toString("hex"), key: random(32).toString("base64") },
  };
}

/** Reads the data key out of keys.json's text; `file` names it in the error when the text is not a valid one. */
export function parseKeysFile(text: string, file: string): DataKey {
  const bad = (what: string) =>
    new ManagerStartError(`manager: ${file} is malformed: ${what}`, {
      hint: "restore keys.json from this manager's backup; without it the manager's Raft data cannot be read",
    });
  let v: Partial<KeysFile>;
  try {
    v = JSON.parse(text) as Partial<KeysFile>;
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (v.version !== KEYS_VERSION) throw bad(`version ${String(v.version)}, this build reads ${KEYS_VERSION}`);
  if (v.kek !== null) throw bad("it names an unlock key (kek), which this build does not support");
  const id = v.dek?.id;
  if (typeof id !== "string" || !KEY_ID.test(id)) throw bad("dek.id must be 16 hex digits");
  const key = typeof v.dek?.key === "string" ? Buffer.from(v.dek.key, "base64") : Buffer.alloc(0);
  if (key.length !== 32 || key.toString("base64") !== v.dek?.key) throw bad("dek.key must be 32 bytes in base64");
  return { id, key };
}

/**
 * The manager's data key from `<dir>/keys.json`. When the file is missing a new key is made and written (0600,
 * atomically and durably), unless `raftDir` already holds data (`storedKeyIds`, the keys its files name):
 * that data cannot be read without its key, and a new key would only hide the loss, so the start is refused. A
 * file readable by others than its owner is refused too.
 */
export async function openDataKey(
  dir: string,
  o: { readonly raftDir: string; readonly storedKeyIds: readonly string[] },
): Promise<DataKey> {
  const file = join(dir, KEYS_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    if (o.storedKeyIds.length > 0) {
      throw new ManagerStartError(
        `manager: ${file} is missing, but ${o.raftDir} holds Raft data sealed with data key ` +
          `${o.storedKeyIds.join(", ")}: the data cannot be read without that key`,
        {
          hint: "restore keys.json from this manager's backup; if it is lost, remove the manager's data dir and join the node again as a manager",
        },
      );
    }
    const keys = newKeysFile();
    await writeFileDurably(file, `${JSON.stringify(keys)}\n`, 0o600);
    return parseKeysFile(JSON.stringify(keys), file);
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ManagerStartError(
      `manager: ${file} has mode ${mode.toString(8).padStart(4, "0")}: the data key must be readable by its owner only`,
      { hint: `chmod 600 ${file}, and check who could have read it` },
    );
  }
  return parseKeysFile(text, file);
}
