import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { updateOf } from "@shoal/store";
import { formatUnlockKey, newUnlockKey, type UnlockKey } from "@shoal/trust";
import { createSocketFetch } from "@shoal/api/node";
import { silentLogger } from "../log.js";
import { seededStore } from "../testing/fixtures.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { keepDataKeyWrapped } from "./autolock-keeper.js";
import { KEYS_FILE, readKeys, type DataKey } from "./keystore.js";
import { openDataKey } from "./lock.js";

const NO_DATA = { raftDir: "/nowhere/raft", storedKeyIds: [] };

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "shoal-keeper-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Sets the secrets' unlock key (or removes it), as the autolock routes do. */
async function setUnlock(store: ClusterStore, key: UnlockKey | undefined): Promise<void> {
  const secrets = store.state.secrets();
  assert.ok(secrets);
  const unlock = key && {
    id: key.id,
    key: Buffer.from(key.secret).toString("base64"),
    createdAt: new Date().toISOString(),
  };
  await store.write([updateOf("secret", secrets, { unlock })]);
}

/** What keys.json says: the unlock key it is wrapped with (null: plain), and its text. */
function keysJson(dir: string): { kek: string | null; text: string } {
  const text = readFileSync(join(dir, KEYS_FILE), "utf8");
  return { kek: (JSON.parse(text) as { kek: { id: string } | null }).kek?.id ?? null, text };
}

/** Every text form of the raw data key. */
const forms = (k: DataKey) => [k.key.toString("base64"), k.key.toString("hex"), k.key.toString("base64url")];

test("keys.json follows the unlock key: wrapped (no raw key), rewrapped on rotation, plain when autolock is off", async (t) => {
  const dir = tempDir(t);
  const initial = await readKeys(dir, NO_DATA);
  assert.ok(!initial.locked);
  const dek = initial.key;
  const store = await seededStore();
  const keeper = keepDataKeyWrapped(store, { dir, key: dek, clusterId: "c1", log: silentLogger });
  t.after(() => keeper.stop());
  await keeper.settled();
  assert.equal(keysJson(dir).kek, null, "no unlock key: plain");

  const a = newUnlockKey();
  await setUnlock(store, a);
  await keeper.settled();
  const wrapped = keysJson(dir);
  assert.equal(wrapped.kek, a.id);
  for (const f of forms(dek)) assert.ok(!wrapped.text.includes(f), "no raw data key in keys.json");
  const stored = await readKeys(dir, NO_DATA);
  assert.ok(stored.locked && stored.dekId === dek.id);

  const b = newUnlockKey();
  await setUnlock(store, b);
  await keeper.settled();
  assert.equal(keysJson(dir).kek, b.id, "rewrapped with the new key");

  await setUnlock(store, undefined);
  await keeper.settled();
  const plain = await readKeys(dir, NO_DATA);
  assert.deepEqual(plain, { locked: false, key: dek }, "plain again, the same key");
});

test("a manager down during a rotation unlocks with the key it was locked with (the new one is refused naming it), then rewraps with the new one", async (t) => {
  const dir = tempDir(t);
  const runDir = join(tempDir(t), "run");
  const first = await readKeys(dir, NO_DATA);
  assert.ok(!first.locked);
  const store = await seededStore();
  const old = newUnlockKey();
  await setUnlock(store, old);
  const before = keepDataKeyWrapped(store, { dir, key: first.key, clusterId: "c1", log: silentLogger });
  await before.settled();
  before.stop();
  // While this manager is down, the others rotate the key.
  const rotated = newUnlockKey();
  await setUnlock(store, rotated);

  const start = openDataKey(dir, {
    ...NO_DATA,
    storedKeyIds: [first.key.id],
    clusterId: "c1",
    runDir,
    log: silentLogger,
  });
  const path = join(runDir, "manager.sock");
  const f = createSocketFetch(path);
  t.after(() => f.close());
  const unlock = async (key: UnlockKey) => {
    for (let i = 0; ; i++) {
      try {
        return await f.fetch("http://localhost/v1/unlock", {
          method: "POST",
          body: JSON.stringify({ unlockKey: formatUnlockKey(key) }),
          headers: { "content-type": "application/json" },
        });
      } catch (e) {
        if (i > 100) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const refused = await unlock(rotated);
  assert.equal(refused.status, 401);
  assert.match(await refused.text(), new RegExp(`locked with unlock key ${old.id}`));
  assert.equal((await unlock(old)).status, 204);
  const key = await start;
  assert.deepEqual(key, first.key);

  const after = keepDataKeyWrapped(store, { dir, key, clusterId: "c1", log: silentLogger });
  t.after(() => after.stop());
  await after.settled();
  assert.equal(keysJson(dir).kek, rotated.id);
});
