// Unlock-key rotation with one manager down, on three real managers (docs/design/trust.md, phase e2): the
// manager that missed the rotation still unlocks with the key it was locked with (the new one is refused,
// naming the old one's id), then rewraps its data key with the new key.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ShoalClient } from "@shoal/api";
import { createSocketFetch } from "@shoal/api/node";
import {
  certificatePaths,
  formatUnlockKey,
  newUnlockKey,
  splitPemCertificates,
  writeCertificateFiles,
  writeTrustBundle,
  type UnlockKey,
} from "@shoal/trust";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { startManager, type ManagerOptions, type RunningManager } from "../manager.js";
import { pollUntil } from "../testing/fixtures.js";
import { managerClient } from "../testing/manager-client.js";
import { managerOptions } from "../testing/manager-options.js";
import { KEYS_FILE } from "./keystore.js";

/** Joins a node with the manager token and writes its agent certificate into `dataDir`. */
async function joinNode(client: ShoalClient, token: string, dataDir: string): Promise<void> {
  const { key, csr } = await generateKeyAndCsr();
  const info = await client.call("clusterJoin", { body: { token, csr } });
  const paths = certificatePaths(dataDir);
  await writeTrustBundle(paths.trust, splitPemCertificates(info.trust));
  await writeCertificateFiles(paths.agent, splitPemCertificates(info.certificate), key);
}

/** The unlock key id a manager's keys.json is wrapped with, or null when plain. */
const kekOf = (dataDir: string): string | null =>
  (JSON.parse(readFileSync(join(dataDir, "manager", KEYS_FILE), "utf8")) as { kek: { id: string } | null }).kek?.id ??
  null;

test("a manager down during an unlock-key rotation unlocks with its old key, then rewraps with the new one", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "shoal-autolock-cluster-"));
  const running: RunningManager[] = [];
  const aborts: AbortController[] = [];
  t.after(async () => {
    for (const a of aborts) a.abort(new Error("test over"));
    for (const m of running.reverse()) await m.stop();
    rmSync(base, { recursive: true, force: true });
  });
  const dirs = [1, 2, 3].map((i) => join(base, `m${i}`));
  const options: ManagerOptions[] = [];
  for (const d of dirs) options.push({ ...(await managerOptions(d)), runDir: join(d, "run") });
  const first = await startManager(options[0] as ManagerOptions);
  running.push(first);
  const client = managerClient(t, dirs[0] as string, [first.apiAddr]);
  const { manager: token } = await client.call("joinTokens");
  for (const i of [1, 2]) {
    await joinNode(client, token, dirs[i] as string);
    const m = await startManager({
      ...(options[i] as ManagerOptions),
      init: false,
      join: { managers: [first.apiAddr] },
    });
    running.push(m);
  }
  await pollUntil(
    async () => (await client.call("clusterStatus")).managers.filter((m) => m.role === "voter").length === 3,
    "three voting managers",
    20_000,
    200,
  );

  const a = newUnlockKey();
  await client.call("clusterAutolock", { body: { enabled: true, unlockKey: formatUnlockKey(a) } });
  await pollUntil(() => dirs.every((d) => kekOf(d) === a.id), "every manager wrapped with the key", 10_000);

  // The third manager goes down; the key is rotated without it.
  const third = running.pop() as RunningManager;
  await third.stop();
  const b = newUnlockKey();
  await client.call("unlockKeyRotate", { body: { unlockKey: formatUnlockKey(b) } });
  await pollUntil(() => kekOf(dirs[0] as string) === b.id && kekOf(dirs[1] as string) === b.id, "rewrapped", 10_000);
  assert.equal(kekOf(dirs[2] as string), a.id, "the manager that was down still has the old key");

  const abort = new AbortController();
  aborts.push(abort);
  const restarted = startManager({ ...(options[2] as ManagerOptions), init: false, signal: abort.signal });
  const socket = join(dirs[2] as string, "run", "manager.sock");
  await pollUntil(() => existsSync(socket), "the locked socket");
  const unlock = async (key: UnlockKey) => {
    const f = createSocketFetch(socket);
    try {
      const res = await f.fetch("http://localhost/v1/unlock", {
        method: "POST",
        body: JSON.stringify({ unlockKey: formatUnlockKey(key) }),
        headers: { "content-type": "application/json" },
      });
      return { status: res.status, text: await res.text() };
    } finally {
      await f.close();
    }
  };
  const refused = await unlock(b);
  assert.equal(refused.status, 401);
  assert.match(refused.text, new RegExp(`locked with unlock key ${a.id}`));
  assert.equal((await unlock(a)).status, 204);
  running.push(await restarted);
  await pollUntil(() => kekOf(dirs[2] as string) === b.id, "the returning manager rewraps with the new key", 15_000);
});
