// Autolock's routes: turning it on with the caller's unlock key, rotating the key, turning it off; the cluster
// object says whether it is on and names the key's id, never the key; a manager that answers is not locked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UnlockKeySchema } from "@shoal/api";
import { formatUnlockKey, newUnlockKey } from "@shoal/trust";
import { api, call, error } from "../testing/api-harness.js";

test("autolock on with a key, on again refused, rotated, then off: the secrets hold the key, the cluster only its id", async (t) => {
  const a = await api(t);
  const first = newUnlockKey();
  const text = formatUnlockKey(first);
  assert.ok(UnlockKeySchema.safeParse(text).success, "the route's schema takes the keys the CLI makes");
  const on = await call(a, { method: "POST", url: "/v1/cluster/autolock", body: { enabled: true, unlockKey: text } });
  assert.equal(on.status, 204, JSON.stringify(on.body));
  assert.deepEqual(a.store.state.secrets()?.unlock?.key, Buffer.from(first.secret).toString("base64"));
  const cluster = (await call(a, { method: "GET", url: "/v1/cluster" })).body as { autolock?: { unlockKeyId: string } };
  assert.equal(cluster.autolock?.unlockKeyId, first.id);
  const shown = JSON.stringify(cluster);
  assert.ok(!shown.includes(text.slice(-50)) && !shown.includes(Buffer.from(first.secret).toString("base64")));

  const again = await error(
    a,
    {
      method: "POST",
      url: "/v1/cluster/autolock",
      body: { enabled: true, unlockKey: formatUnlockKey(newUnlockKey()) },
    },
    409,
  );
  assert.equal(again.code, "SHOAL_ERR_AUTOLOCK_ON");
  assert.match(again.message, new RegExp(`unlock key ${first.id}`));
  assert.match(again.hint ?? "", /unlock-key --rotate/);
  assert.equal(a.store.state.secrets()?.unlock?.id, first.id, "the key was left as it was");

  const second = newUnlockKey();
  const rotated = await call(a, {
    method: "POST",
    url: "/v1/cluster/unlock-key/rotate",
    body: { unlockKey: formatUnlockKey(second) },
  });
  assert.equal(rotated.status, 204);
  assert.equal(a.store.state.secrets()?.unlock?.id, second.id);
  assert.equal(a.store.state.cluster()?.autolock?.unlockKeyId, second.id);

  const off = await call(a, { method: "POST", url: "/v1/cluster/autolock", body: { enabled: false } });
  assert.equal(off.status, 204);
  assert.equal(a.store.state.secrets()?.unlock, undefined);
  assert.equal(a.store.state.cluster()?.autolock, undefined);
  assert.equal((await call(a, { method: "POST", url: "/v1/cluster/autolock", body: { enabled: false } })).status, 204);
  const offRotate = await error(
    a,
    { method: "POST", url: "/v1/cluster/unlock-key/rotate", body: { unlockKey: formatUnlockKey(second) } },
    409,
  );
  assert.equal(offRotate.code, "SHOAL_ERR_AUTOLOCK_OFF");
});

test("a malformed unlock key is refused naming the field; unlocking a manager that serves is 409", async (t) => {
  const a = await api(t);
  const bad = await error(
    a,
    { method: "POST", url: "/v1/cluster/autolock", body: { enabled: true, unlockKey: "SHLKEY-1-short" } },
    400,
  );
  assert.deepEqual(
    bad.issues?.map((i) => i.field),
    ["unlockKey"],
  );
  assert.equal(a.store.state.secrets()?.unlock, undefined);
  const served = await error(
    a,
    { method: "POST", url: "/v1/unlock", body: { unlockKey: formatUnlockKey(newUnlockKey()) } },
    409,
  );
  assert.equal(served.code, "SHOAL_ERR_NOT_LOCKED");
});
