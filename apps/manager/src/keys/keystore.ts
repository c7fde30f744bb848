import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileDurably } from "@shoal/common";
import { ManagerStartError } from "../errors.js";
import { isKeyEnvelope, openKey, sealKey, type KeyEnvelope } from "./envelope.js";

/**
 * The manager's key file, `<dataDir>/manager/keys.json` (mode 0600): the data key (DEK) its Raft WAL and snapshots
 * are sealed with. Without autolock the key is stored plainly beside the data it seals: that protects copies of
 * the Raft directory made without this file (a backup of the log alone, a retired disk whose key file was
 * removed), not a reader of the whole data dir. Under autolock `kek` names the unlock key and `dek` holds the
 * key wrapped with it (envelope.ts), never the key itself: a restarted manager cannot read its data until it
 * is given the unlock key (lock.ts).
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

/** The unlock key a data key is wrapped with: its id and when it was set (never the key). */
export interface KekRef {
  readonly id: string;
  readonly createdAt: string;
}

/** What keys.json holds: the key in base64, or (under autolock) wrapped with the unlock key `kek` names. */
export interface KeysFile {
  readonly version: typeof KEYS_VERSION;
  readonly kek: KekRef | null;
  readonly dek: { readonly id: string; readonly key: string } | { readonly id: string; readonly wrapped: KeyEnvelope };
}

/** What a keys.json gives: the data key, or (autolock) its envelope and the unlock key that opens it. */
export type StoredKeys =
  | { readonly locked: false; readonly key: DataKey }
  | { readonly locked: true; readonly dekId: string; readonly kek: KekRef; readonly envelope: KeyEnvelope };

/** The associated data of a wrapped data key: which key it is and which unlock key wraps it. */
const envelopeAad = (dekId: string, kekId: string) => `shoal-dek:${dekId}:${kekId}`;

/**
 * The data key of a wrapped keys.json, opened with the unlock key's secret; undefined when it is not the key
 * the file was wrapped with.
 */
export function unwrapDataKey(
  stored: Extract<StoredKeys, { locked: true }>,
  secret: Uint8Array,
  clusterId: string,
): DataKey | undefined {
  const key = openKey(stored.envelope, { secret, clusterId, aad: envelopeAad(stored.dekId, stored.kek.id) });
  return key && key.length === 32 ? { id: stored.dekId, key } : undefined;
}

/**
 * keys.json for `key`: plain, or wrapped with the unlock key `unlock` (its id, secret and date) for cluster
 * `clusterId`.
 */
export function keysFileOf(
  key: DataKey,
  unlock?: { readonly id: string; readonly secret: Uint8Array; readonly createdAt: string; readonly clusterId: string },
): KeysFile {
  if (!unlock) return { version: KEYS_VERSION, kek: null, dek: { id: key.id, key: key.key.toString("base64") } };
  const wrapped = sealKey(key.key, {
    secret: unlock.secret,
    clusterId: unlock.clusterId,
    aad: envelopeAad(key.id, unlock.id),
  });
  return { version: KEYS_VERSION, kek: { id: unlock.id, createdAt: unlock.createdAt }, dek: { id: key.id, wrapped } };
}

/** Replaces `<dir>/keys.json` with `keys` (0600), atomically and durably. */
export async function writeKeysFile(dir: string, keys: KeysFile): Promise<void> {
  await writeFileDurably(join(dir, KEYS_FILE), `${JSON.stringify(keys)}\n`, 0o600);
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

/**
 * Reads the data key out of keys.json's text, or its envelope under autolock; `file` names it in the error when
 * the text is not a valid one.
 */
export function parseKeysFile(text: string, file: string): StoredKeys {
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
  const id = v.dek?.id;
  if (typeof id !== "string" || !KEY_ID.test(id)) throw bad("dek.id must be 16 hex digits");
  if (v.kek !== null) {
    const kek = v.kek as Partial<KekRef> | undefined;
    if (typeof kek?.id !== "string" || typeof kek.createdAt !== "string")
      throw bad("kek must be null or name an unlock key ({id, createdAt})");
    const wrapped = (v.dek as { wrapped?: unknown }).wrapped;
    if (!isKeyEnvelope(wrapped)) throw bad("kek names an unlock key, but dek.wrapped is not a key envelope");
    return { locked: true, dekId: id, kek: { id: kek.id, createdAt: kek.createdAt }, envelope: wrapped };
  }
  const text64 = (v.dek as { key?: unknown }).key;
  const key = typeof text64 === "string" ? Buffer.from(text64, "base64") : Buffer.alloc(0);
  if (key.length !== 32 || key.toString("base64") !== text64) throw bad("dek.key must be 32 bytes in base64");
  return { locked: false, key: { id, key } };
}

/**
 * The manager's keys from `<dir>/keys.json`: the data key, or its envelope under autolock. When the file is
 * missing a new key is made and written (0600, atomically and durably), unless `raftDir` already holds data
 * (`storedKeyIds`, the keys its files name): that data cannot be read without its key, and a new key would only
 * hide the loss, so the start is refused. A file readable by others than its owner is refused too.
 */
export async function readKeys(
  dir: string,
  o: { readonly raftDir: string; readonly storedKeyIds: readonly string[] },
): Promise<StoredKeys> {
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
    await writeKeysFile(dir, keys);
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
