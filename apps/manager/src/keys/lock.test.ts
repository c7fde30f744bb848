import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { formatUnlockKey, newUnlockKey, type UnlockKey } from "@shoal/trust";
import { createSocketFetch } from "@shoal/api/node";
import { silentLogger } from "../log.js";
import { ManagerStartError } from "../errors.js";
import { keysFileOf, writeKeysFile, type DataKey } from "./keystore.js";
import { openDataKey } from "./lock.js";

const DEK: DataKey = { id: "0011223344556677", key: Buffer.alloc(32, 9) };

/** A manager state dir whose keys.json is wrapped with `unlock`, and a run dir. */
async function lockedDirs(t: TestContext, unlock: UnlockKey): Promise<{ dir: string; runDir: string }> {
  const root = mkdtempSync(join(tmpdir(), "shoal-lock-test-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, "manager");
  mkdirSync(dir);
  const createdAt = "2026-12-01T00:00:00.000Z";
  await writeKeysFile(dir, keysFileOf(DEK, { ...unlock, createdAt, clusterId: "c1" }));
  return { dir, runDir: join(root, "run") };
}

const options = (runDir: string | undefined, signal?: AbortSignal) => ({
  raftDir: "/nowhere/raft",
  storedKeyIds: [DEK.id],
  clusterId: "c1",
  runDir,
  log: silentLogger,
  ...(signal ? { signal } : {}),
});

/** Waits until the socket file is there. */
async function socketOf(runDir: string): Promise<string> {
  const path = join(runDir, "manager.sock");
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 10));
  return path;
}

/** Calls the socket at `path`: status and parsed error body. */
async function call(
  t: TestContext,
  path: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; error?: { code: string; message: string; hint?: string } }> {
  const f = createSocketFetch(path);
  t.after(() => f.close());
  const res = await f.fetch(`http://localhost${url}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  return { status: res.status, ...(text ? (JSON.parse(text) as object) : {}) };
}

test("a wrapped data key locks the start: the socket (0600) answers only unlock, a wrong key is refused naming the key waited for, the right one opens", async (t) => {
  const unlock = newUnlockKey();
  const { dir, runDir } = await lockedDirs(t, unlock);
  let opened: DataKey | undefined;
  const start = openDataKey(dir, options(runDir)).then((k) => (opened = k));
  const path = await socketOf(runDir);
  assert.equal(statSync(path).mode & 0o777, 0o600);

  for (const [method, url] of [
    ["GET", "/v1/info"],
    ["GET", "/v1/services"],
    ["POST", "/v1/services"],
  ] as const) {
    const r = await call(t, path, method, url, method === "POST" ? {} : undefined);
    assert.equal(r.status, 503, url);
    assert.equal(r.error?.code, "SHOAL_ERR_LOCKED");
    assert.match(r.error?.hint ?? "", /shoal cluster unlock/);
  }
  const other = newUnlockKey();
  const wrong = await call(t, path, "POST", "/v1/unlock", { unlockKey: formatUnlockKey(other) });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.error?.code, "SHOAL_ERR_BAD_UNLOCK_KEY");
  assert.match(wrong.error?.message ?? "", new RegExp(`locked with unlock key ${unlock.id}, set 2026-12-01`));
  assert.match(wrong.error?.message ?? "", new RegExp(`the key given is ${other.id}`));
  const malformed = await call(t, path, "POST", "/v1/unlock", { unlockKey: "SHLKEY-1-nope" });
  assert.equal(malformed.status, 400);
  assert.equal(opened, undefined, "still locked");
  assert.equal((await call(t, path, "GET", "/v1/info")).status, 503);

  const right = await call(t, path, "POST", "/v1/unlock", { unlockKey: formatUnlockKey(unlock) });
  assert.equal(right.status, 204);
  await start;
  assert.deepEqual(opened, DEK);
  assert.ok(!existsSync(path), "the locked socket is gone once unlocked");
});

test("a locked start ends when its signal aborts, and one without a run dir is refused naming the key", async (t) => {
  const unlock = newUnlockKey();
  const { dir, runDir } = await lockedDirs(t, unlock);
  const ac = new AbortController();
  const start = openDataKey(dir, options(runDir, ac.signal));
  const path = await socketOf(runDir);
  ac.abort(new Error("stopping"));
  await assert.rejects(start, /stopping/);
  assert.ok(!existsSync(path));
  await assert.rejects(openDataKey(dir, options(undefined)), (e: unknown) => {
    assert.ok(e instanceof ManagerStartError);
    assert.match(e.message, new RegExp(`wrapped with unlock key ${unlock.id} \\(autolock\\)`));
    return true;
  });
});
