import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { ClusterSchema } from "@shoal/api";
import { formatUnlockKey, newUnlockKey } from "@shoal/trust";
import { main } from "../main.js";
import { apiError, captureIo, FakeServer } from "../testing/fake-server.js";
import { iso, makeInfo, T0 } from "../testing/objects.js";

const KEY_TEXT = /SHLKEY-1-[0-9a-z]{8}-[0-9a-z]{50}/g;
let dir: string;
let api: FakeServer;
let host = "";
let autolock: { unlockKeyId: string; since: string } | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-autolock-"));
  api = new FakeServer()
    .on("POST", "/v1/cluster/autolock", () => ({ status: 204 }))
    .on("POST", "/v1/cluster/unlock-key/rotate", () => ({ status: 204 }))
    .on("GET", "/v1/cluster", () => ({
      status: 200,
      json: ClusterSchema.parse({
        id: "c1",
        version: 1,
        createdAt: iso(T0),
        updatedAt: iso(T0),
        spec: {},
        ca: { rootDigests: ["d"] },
        ...(autolock ? { autolock } : {}),
      }),
    }));
  host = await api.listen();
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with a run dir of its own (a manager socket only where a test puts one), and stdin. */
async function shoal(argv: string[], o: { runDir?: string; stdin?: string } = {}) {
  const io = captureIo(o.stdin === undefined ? {} : { stdin: Readable.from([o.stdin]) });
  const runDir = o.runDir ?? join(dir, "no-run");
  const code = await main([...argv, "--host", host, "--run-dir", runDir, "--data-dir", join(dir, "data")], io);
  return { code, out: io.out(), err: io.err() };
}

/** The unlock key a request carried. */
const sent = (method: string, path: string, i = -1): string | undefined =>
  (JSON.parse(api.requests(method, path).at(i)?.body.toString() ?? "{}") as { unlockKey?: string }).unlockKey;

test("cluster update --autolock=true makes a key, sends it and prints it once with a warning; =false turns it off", async () => {
  const on = await shoal(["cluster", "update", "--autolock=true"]);
  assert.equal(on.code, 0, on.err);
  const printed = on.out.match(KEY_TEXT) ?? [];
  assert.equal(printed.length, 1, on.out);
  assert.equal(sent("POST", "/v1/cluster/autolock"), printed[0], "the key printed is the key sent");
  assert.ok(on.out.startsWith("Autolock is on. To unlock a manager after it restarts, run `shoal cluster unlock`"));
  assert.match(on.out, /it is shown only now, and no command shows it again/);
  assert.match(on.out, /if it is lost and every\nmanager has restarted, the cluster's data cannot be read/);

  const again = await shoal(["cluster", "update", "--autolock=true"]);
  assert.notEqual(sent("POST", "/v1/cluster/autolock"), printed[0], "a new key each time");
  assert.equal(again.code, 0);

  const off = await shoal(["cluster", "update", "--autolock=false"]);
  assert.equal(off.code, 0, off.err);
  assert.deepEqual(JSON.parse(api.requests("POST", "/v1/cluster/autolock").at(-1)?.body.toString() ?? ""), {
    enabled: false,
  });
  assert.doesNotMatch(off.out, KEY_TEXT);
  const none = await shoal(["cluster", "update"]);
  assert.equal(none.code, 2);
  assert.match(none.err, /nothing to update: give --autolock=true or --autolock=false/);
});

test("cluster unlock-key --rotate sends a new key and prints it once; without --rotate it names the key's id only", async () => {
  const r = await shoal(["cluster", "unlock-key", "--rotate"]);
  assert.equal(r.code, 0, r.err);
  const printed = r.out.match(KEY_TEXT) ?? [];
  assert.equal(printed.length, 1);
  assert.equal(sent("POST", "/v1/cluster/unlock-key/rotate"), printed[0]);
  assert.match(r.out, /^The unlock key was rotated\./);
  assert.match(r.out, /A manager that was down during the rotation still needs the previous key once/);

  autolock = { unlockKeyId: "abcd1234", since: iso(T0) };
  const shown = await shoal(["cluster", "unlock-key"]);
  assert.equal(shown.code, 0, shown.err);
  assert.match(shown.out, /^Autolock is on with unlock key abcd1234 \(set .*\)\. No command shows the key itself/);
  assert.doesNotMatch(shown.out, KEY_TEXT);
  assert.equal(api.requests("POST", "/v1/cluster/unlock-key/rotate").length, 1, "nothing rotated");
  autolock = undefined;
  assert.match((await shoal(["cluster", "unlock-key"])).out, /^Autolock is off: there is no unlock key/);
});

test("cluster unlock gives this node's locked manager the key from a file, stdin or a pipe; a wrong or malformed key is refused", async (t) => {
  const runDir = join(dir, "run");
  mkdirSync(runDir, { recursive: true });
  const key = newUnlockKey();
  let locked = true;
  const local = new FakeServer()
    .on("POST", "/v1/unlock", (r) => {
      const given = (JSON.parse(r.body.toString()) as { unlockKey: string }).unlockKey;
      if (given !== formatUnlockKey(key))
        return apiError(401, "SHOAL_ERR_BAD_UNLOCK_KEY", `manager: it was locked with unlock key ${key.id}`);
      locked = false;
      return { status: 204 };
    })
    .on("GET", "/v1/info", () =>
      locked ? apiError(503, "SHOAL_ERR_LOCKED", "manager: this manager is locked") : { status: 200, json: makeInfo() },
    );
  await local.listen(join(runDir, "manager.sock"));
  t.after(() => local.close());
  const file = join(dir, "unlock-key");

  writeFileSync(file, `${formatUnlockKey(newUnlockKey())}\n`);
  const wrong = await shoal(["cluster", "unlock", "--unlock-key-file", file], { runDir });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, new RegExp(`^Error: manager: it was locked with unlock key ${key.id}`));
  writeFileSync(file, "SHLKEY-1-short\n");
  const malformed = await shoal(["cluster", "unlock", "--unlock-key-file", file], { runDir });
  assert.equal(malformed.code, 1);
  assert.match(malformed.err, /^Error: the unlock key is malformed: it has 3 parts/);
  assert.equal(local.requests("POST", "/v1/unlock").length, 1, "a malformed key is not sent");
  assert.ok(locked);

  writeFileSync(file, `${formatUnlockKey(key)}\n`);
  const right = await shoal(["cluster", "unlock", "--unlock-key-file", file], { runDir });
  assert.equal(right.code, 0, right.err);
  assert.equal(right.out, "The manager is unlocked and serves again.\n");

  for (const argv of [["--unlock-key-file", "-"], []]) {
    locked = true;
    const piped = await shoal(["cluster", "unlock", ...argv], { runDir, stdin: `${formatUnlockKey(key)}\n` });
    assert.equal(piped.code, 0, piped.err);
    assert.ok(!locked, argv.join(" ") || "a pipe");
  }
  const empty = await shoal(["cluster", "unlock", "--unlock-key-file", "-"], { runDir, stdin: "" });
  assert.equal(empty.code, 1);
  assert.match(empty.err, /^Error: stdin gave no unlock key/);
});

test("cluster unlock on a node without a manager socket says so", async () => {
  const r = await shoal(["cluster", "unlock"], { stdin: formatUnlockKey(newUnlockKey()) });
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: no manager runs on this node: its socket .*manager\.sock does not exist/);
});
