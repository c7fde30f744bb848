import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { createSocketFetch } from "@shoal/api/node";
import { formatUnlockKey, newUnlockKey, type UnlockKey } from "@shoal/trust";
import { startManager, type ManagerOptions, type RunningManager } from "../manager.js";
import { pollUntil, serviceSpec } from "../testing/fixtures.js";
import { managerClient } from "../testing/manager-client.js";
import { managerOptions } from "../testing/manager-options.js";
import { KEYS_FILE } from "./keystore.js";
import { filesHolding } from "../testing/files-holding.js";

// Autolock end to end on a real manager (docs/design/trust.md §4.9, phase e2): keys.json holds the data key
// only wrapped; a restarted manager binds no TCP port and answers only unlock on its socket; a wrong key keeps
// it locked, the right one lets it start with its data; rotation rewraps; turning autolock off makes keys.json
// plain; --force-new-cluster waits for the key too.

/** keys.json as the manager wrote it: the unlock key id it is wrapped with (null: plain), and the raw key if plain. */
function keysJson(dataDir: string): { kek: string | null; key?: string } {
  const v = JSON.parse(readFileSync(join(dataDir, "manager", KEYS_FILE), "utf8")) as {
    kek: { id: string } | null;
    dek: { key?: string };
  };
  return { kek: v.kek?.id ?? null, ...(v.dek.key ? { key: v.dek.key } : {}) };
}

/** Whether a TCP connection to the port on loopback is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

/** A manager being started: resolves once it serves; abort to stop it while it is locked. */
interface Starting {
  readonly started: Promise<RunningManager>;
  readonly abort: AbortController;
}

test("an autolocked manager restarts locked: no TCP port, its socket answers only unlock; the right key brings its data back", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-autolock-test-"));
  const running: RunningManager[] = [];
  const starting: Starting[] = [];
  t.after(async () => {
    for (const s of starting) s.abort.abort(new Error("test over"));
    for (const m of running) await m.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const o: ManagerOptions = { ...(await managerOptions(dataDir)), runDir: join(dataDir, "run") };
  const socket = join(dataDir, "run", "manager.sock");
  const first = await startManager(o);
  running.push(first);
  const client = managerClient(t, dataDir, [first.apiAddr]);
  const web = await client.call("serviceCreate", { body: serviceSpec("web") });
  const dek = keysJson(dataDir).key;
  assert.ok(dek, "keys.json is plain before autolock");
  const dekForms = [dek, Buffer.from(dek, "base64").toString("hex"), Buffer.from(dek, "base64").toString("base64url")];

  const restart = (extra: Partial<ManagerOptions> = {}): Starting => {
    const abort = new AbortController();
    const s = { started: startManager({ ...o, init: false, signal: abort.signal, ...extra }), abort };
    s.started.then(
      (m) => running.push(m),
      () => undefined,
    );
    starting.push(s);
    return s;
  };
  const stopAll = async () => {
    for (const m of running.splice(0)) await m.stop();
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const f = createSocketFetch(socket);
    try {
      const res = await f.fetch(`http://localhost${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
      const text = await res.text();
      return {
        status: res.status,
        error: text ? (JSON.parse(text) as { error: { code: string; message: string } }).error : undefined,
      };
    } finally {
      await f.close();
    }
  };
  const unlock = (key: UnlockKey) => call("POST", "/v1/unlock", { unlockKey: formatUnlockKey(key) });
  /** Waits until the restarted manager serves its locked socket. */
  const locked = () =>
    pollUntil(async () => existsSync(socket) && (await call("GET", "/v1/info")).status === 503, "the locked socket");

  // On: keys.json is wrapped, and no file of the data dir holds the raw data key.
  const a = newUnlockKey();
  await client.call("clusterAutolock", { body: { enabled: true, unlockKey: formatUnlockKey(a) } });
  assert.equal((await client.call("clusterInspect")).autolock?.unlockKeyId, a.id);
  await pollUntil(() => keysJson(dataDir).kek === a.id, "keys.json wrapped with the unlock key");
  assert.equal(keysJson(dataDir).key, undefined);
  await stopAll();
  assert.deepEqual(filesHolding(dataDir, dekForms), [], "no raw data key in the data dir");

  // Restarted: locked. No TCP port; the socket answers 503 except unlock; a wrong key is refused naming the key.
  let s = restart();
  await locked();
  for (const port of [o.apiPort, o.raftPort, o.natsPort, o.natsClusterPort])
    assert.ok(await refused(port), `port ${port} refuses connections`);
  const info = await call("GET", "/v1/info");
  assert.deepEqual([info.status, info.error?.code], [503, "SHOAL_ERR_LOCKED"]);
  assert.match(info.error?.message ?? "", new RegExp(`unlock key ${a.id}`));
  const wrong = await unlock(newUnlockKey());
  assert.deepEqual([wrong.status, wrong.error?.code], [401, "SHOAL_ERR_BAD_UNLOCK_KEY"]);
  assert.match(wrong.error?.message ?? "", new RegExp(`locked with unlock key ${a.id}`));
  assert.equal((await call("GET", "/v1/services")).status, 503, "still locked");
  assert.ok(await refused(o.apiPort));
  assert.equal((await unlock(a)).status, 204);
  await s.started;
  assert.equal((await client.call("serviceInspect", { params: { ref: "web" } })).id, web.id);
  assert.equal((await call("GET", "/v1/info")).status, 200, "the socket serves the API again");

  // Rotated: keys.json is rewrapped, and the old key no longer opens it.
  const b = newUnlockKey();
  await client.call("unlockKeyRotate", { body: { unlockKey: formatUnlockKey(b) } });
  await pollUntil(() => keysJson(dataDir).kek === b.id, "keys.json rewrapped with the new key");
  await stopAll();
  s = restart();
  await locked();
  const old = await unlock(a);
  assert.equal(old.status, 401);
  assert.match(old.error?.message ?? "", new RegExp(`locked with unlock key ${b.id}`));
  assert.equal((await unlock(b)).status, 204);
  await s.started;

  // Off: keys.json is plain again, and a restart needs no key.
  await client.call("clusterAutolock", { body: { enabled: false } });
  await pollUntil(() => keysJson(dataDir).kek === null, "keys.json plain again");
  assert.equal(keysJson(dataDir).key, dek, "the same data key");
  assert.equal((await client.call("clusterInspect")).autolock, undefined);
  await stopAll();
  await restart().started;

  // --force-new-cluster on a locked manager waits for the key the same way, then keeps the data.
  const c = newUnlockKey();
  await client.call("clusterAutolock", { body: { enabled: true, unlockKey: formatUnlockKey(c) } });
  await pollUntil(() => keysJson(dataDir).kek === c.id, "keys.json wrapped again");
  await stopAll();
  s = restart({ forceNewCluster: true });
  await locked();
  assert.ok(await refused(o.apiPort));
  assert.equal((await unlock(c)).status, 204);
  await s.started;
  assert.equal((await client.call("serviceInspect", { params: { ref: "web" } })).id, web.id);
});

test("a manager asked to stop while locked ends its start without serving", async (t: TestContext) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-autolock-test-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const o: ManagerOptions = { ...(await managerOptions(dataDir)), runDir: join(dataDir, "run") };
  const first = await startManager(o);
  const client = managerClient(t, dataDir, [first.apiAddr]);
  const key = newUnlockKey();
  await client.call("clusterAutolock", { body: { enabled: true, unlockKey: formatUnlockKey(key) } });
  await pollUntil(() => keysJson(dataDir).kek === key.id, "keys.json wrapped");
  await first.stop();
  const abort = new AbortController();
  const pending = startManager({ ...o, init: false, signal: abort.signal });
  await pollUntil(() => existsSync(join(dataDir, "run", "manager.sock")), "the locked socket");
  abort.abort(new Error("SIGTERM while locked"));
  await assert.rejects(pending, /SIGTERM while locked/);
  assert.ok(!existsSync(join(dataDir, "run", "manager.sock")), "the socket is gone");
  assert.ok(await refused(o.apiPort));
});
