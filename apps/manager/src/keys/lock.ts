import { InvalidUnlockKeyError, parseUnlockKey } from "@shoal/trust";
import { ManagerError, ManagerStartError } from "../errors.js";
import { serveLockedSocket } from "../locked-socket.js";
import { localSocketPath } from "../private-socket.js";
import type { LoopLog } from "../log.js";
import { readKeys, unwrapDataKey, type DataKey, type StoredKeys } from "./keystore.js";

export { keepDataKeyWrapped } from "./autolock-keeper.js";

/**
 * The manager's data key at start (docs/design/trust.md §4.9): read from keys.json, or, when autolock wrapped
 * it, only once root on the node gives the unlock key through the locked socket. Until then the manager is
 * locked: it has opened nothing else (no Raft, no bus, no TCP port), and it waits, without exiting, so a service
 * manager does not restart it in a loop. `--force-new-cluster` waits the same way, since it needs the data.
 */
export interface OpenDataKeyOptions {
  /** The manager's Raft dir, and the data keys its files name (see keystore.ts `readKeys`). */
  readonly raftDir: string;
  readonly storedKeyIds: readonly string[];
  /** The cluster's id (the unlock key's derivation names it). */
  readonly clusterId: string;
  /** Where the local socket lives (`<runDir>/manager.sock`); a locked manager without one cannot be unlocked. */
  readonly runDir?: string | undefined;
  readonly log: LoopLog;
  /** Stops waiting for the key (the manager is asked to stop while locked): rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** The data key of `<dir>/keys.json`, waiting for the unlock key first when it is wrapped. */
export async function openDataKey(dir: string, o: OpenDataKeyOptions): Promise<DataKey> {
  const stored = await readKeys(dir, o);
  if (!stored.locked) return stored.key;
  if (!o.runDir)
    throw new ManagerStartError(
      `manager: its data key is wrapped with unlock key ${stored.kek.id} (autolock), and it has no local socket to be unlocked through`,
      { hint: "start it with --run-dir, then run `shoal cluster unlock` as root on this node" },
    );
  return waitForUnlock(stored, await localSocketPath(o.runDir), o);
}

/** The 401 of a wrong key: which key this manager waits for, and since when it has had it. */
export function badUnlockKeyError(stored: Extract<StoredKeys, { locked: true }>, given?: string): ManagerError {
  const other = given && given !== stored.kek.id ? ` (the key given is ${given})` : "";
  return new ManagerError(
    "SHOAL_ERR_BAD_UNLOCK_KEY",
    `manager: that unlock key does not open this manager${other}: it was locked with unlock key ${stored.kek.id}, set ${stored.kek.createdAt}; it stays locked`,
    {
      hint: `give unlock key ${stored.kek.id}: a manager that was down while the key was rotated still needs the key it was locked with`,
    },
  );
}

/** Serves the locked socket until a key opens the data key; resolves with it once the socket is closed. */
async function waitForUnlock(
  stored: Extract<StoredKeys, { locked: true }>,
  path: string,
  o: OpenDataKeyOptions,
): Promise<DataKey> {
  let opened: DataKey | undefined;
  let lastGiven: string | undefined;
  const socket = await serveLockedSocket({
    path,
    unlock: (text) => {
      let key;
      try {
        key = parseUnlockKey(text);
      } catch (e) {
        if (e instanceof InvalidUnlockKeyError) throw new ManagerError("SHOAL_ERR_INVALID_ARGUMENT", e.message);
        throw e;
      }
      lastGiven = key.id;
      opened = unwrapDataKey(stored, key.secret, o.clusterId);
      if (!opened) o.log.warn("a wrong unlock key was given: still locked", { given: key.id, waitsFor: stored.kek.id });
      return opened !== undefined;
    },
    badKey: () => badUnlockKeyError(stored, lastGiven),
    locked: () =>
      new ManagerError(
        "SHOAL_ERR_LOCKED",
        `manager: this manager is locked (autolock): it serves nothing until it is given unlock key ${stored.kek.id}`,
        { hint: "run `shoal cluster unlock` as root on this node" },
      ),
  });
  o.log.warn("locked: the data key is wrapped (autolock); waiting for `shoal cluster unlock` on the local socket", {
    socket: path,
    unlockKey: stored.kek.id,
    since: stored.kek.createdAt,
  });
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason: unknown = o.signal?.reason;
      reject(reason instanceof Error ? reason : new Error("manager: stopped while locked", { cause: reason }));
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
  });
  stopped.catch(() => undefined);
  try {
    await Promise.race([socket.unlocked, stopped]);
  } finally {
    if (onAbort) o.signal?.removeEventListener("abort", onAbort);
    await socket.close();
  }
  if (!opened) throw new Error("manager: unlocked without a data key");
  o.log.info("unlocked: starting", { unlockKey: stored.kek.id });
  return opened;
}
