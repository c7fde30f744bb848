import { join } from "node:path";
import type { ClusterSecrets } from "@shoal/api";
import type { LoopLog } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { KEYS_FILE, keysFileOf, parseKeysFile, writeKeysFile, type DataKey } from "./keystore.js";
import { readFile } from "node:fs/promises";

/**
 * Keeps this manager's keys.json in step with the cluster's unlock key (docs/design/trust.md §4.9): wrapped with
 * the unlock key while the secrets hold one (rewrapped when it is rotated), plain once autolock is turned off.
 * It starts once the store has caught up with the leader (a read barrier), so a restart does not rewrap with a
 * key of the log's past, then follows every applied change; a burst of changes makes one write, of the state
 * after them. Writes are atomic and durable (keystore.ts `writeKeysFile`); a failed one is logged and tried
 * again at the next change.
 */
export interface AutolockKeeperOptions {
  /** The manager's state dir (where keys.json is). */
  readonly dir: string;
  /** The data key this manager runs with. */
  readonly key: DataKey;
  /** The cluster's id (the wrapping key's derivation names it). */
  readonly clusterId: string;
  readonly log: LoopLog;
  /** Pause between read barriers while no leader answers; default 1 s. */
  readonly retryMs?: number;
}

/** A running keeper. */
export interface AutolockKeeper {
  /** Resolves once keys.json matches the store as this manager last saw it (tests). */
  readonly settled: () => Promise<void>;
  /** Stops following the store (a function of its own: it may be handed on unbound). */
  readonly stop: () => void;
}

/** Starts keeping `<dir>/keys.json` wrapped as the store's secrets say. */
export function keepDataKeyWrapped(store: ClusterStore, o: AutolockKeeperOptions): AutolockKeeper {
  let stopped = false;
  let written: string | null | undefined; // the unlock key id keys.json is wrapped with; undefined: not read yet
  let running: Promise<void> | undefined;
  let again = false;
  let unwatch: (() => void) | undefined;

  const reconcile = async (): Promise<void> => {
    const secrets = store.state.secrets();
    if (!secrets || stopped) return;
    if (written === undefined) written = await currentKekId(o.dir);
    const want = secrets.unlock?.id ?? null;
    if (want === written) return;
    await writeKeysFile(o.dir, keysFileOf(o.key, unlockOf(secrets, o.clusterId)));
    o.log.info(
      want
        ? `autolock: the data key is wrapped with unlock key ${want}`
        : "autolock is off: the data key is stored plain again",
      { previous: written ?? "none" },
    );
    written = want;
  };
  // One reconcile at a time; changes during one make one more, which reads the state as it is then.
  const kick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await reconcile();
        } catch (e) {
          o.log.warn("autolock: keys.json could not be rewritten; trying again at the next change", {
            error: (e as Error).message,
          });
        }
      } while (again && !stopped);
      running = undefined;
    })();
    return running;
  };

  const started = (async () => {
    for (;;) {
      if (stopped) return;
      try {
        await store.read({ timeoutMs: 5_000 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, o.retryMs ?? 1_000));
      }
    }
    if (stopped) return;
    unwatch = store.watch(() => void kick());
    await kick();
  })();

  return {
    settled: async () => {
      await started;
      while (running) await running;
    },
    stop: () => {
      stopped = true;
      unwatch?.();
    },
  };
}

/** The unlock key of the secrets as keys.json is wrapped with it, or undefined while autolock is off. */
function unlockOf(secrets: ClusterSecrets, clusterId: string) {
  const u = secrets.unlock;
  return u && { id: u.id, secret: Buffer.from(u.key, "base64"), createdAt: u.createdAt, clusterId };
}

/** The unlock key id `<dir>/keys.json` is wrapped with, or null when it is plain. */
async function currentKekId(dir: string): Promise<string | null> {
  const file = join(dir, KEYS_FILE);
  const stored = parseKeysFile(await readFile(file, "utf8"), file);
  return stored.locked ? stored.kek.id : null;
}
