import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { ManagerStartError } from "../errors.js";
import { KEYS_FILE, newKeysFile, parseKeysFile, readKeys, type DataKey } from "./keystore.js";

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "shoal-keystore-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const NO_DATA = { raftDir: "/nowhere/raft", storedKeyIds: [] };

/** The plain data key of `<dir>/keys.json` (made when missing). */
async function openDataKey(dir: string, o: Parameters<typeof readKeys>[1]): Promise<DataKey> {
  const stored = await readKeys(dir, o);
  assert.ok(!stored.locked, "keys.json is plain");
  return stored.key;
}

test("the first start writes keys.json (0600, version 1, no kek, a 256-bit key); later starts read the same key", async (t) => {
  const dir = tempDir(t);
  const made = await openDataKey(dir, NO_DATA);
  const file = join(dir, KEYS_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const stored = JSON.parse(readFileSync(file, "utf8")) as {
    version: number;
    kek: null;
    dek: { id: string; key: string };
  };
  assert.deepEqual([stored.version, stored.kek, stored.dek.id], [1, null, made.id]);
  assert.match(made.id, /^[0-9a-f]{16}$/);
  assert.equal(made.key.length, 32);
  assert.deepEqual(Buffer.from(stored.dek.key, "base64"), made.key);

  const again = await openDataKey(dir, { raftDir: join(dir, "raft"), storedKeyIds: [made.id] });
  assert.deepEqual(again, made);
  const other = await openDataKey(tempDir(t), NO_DATA);
  assert.notEqual(other.id, made.id);
  assert.notDeepEqual(other.key, made.key);
});

test("a missing keys.json beside Raft data refuses to start, naming the key the data needs, and makes no key", async (t) => {
  const dir = tempDir(t);
  const raftDir = join(dir, "raft");
  await assert.rejects(openDataKey(dir, { raftDir, storedKeyIds: ["0123456789abcdef"] }), (e: unknown) => {
    assert.ok(e instanceof ManagerStartError);
    assert.equal(e.code, "SHOAL_ERR_MANAGER_START");
    assert.match(
      e.message,
      new RegExp(`${KEYS_FILE} is missing, but ${raftDir} holds Raft data sealed with data key 0123456789abcdef`),
    );
    assert.match(e.hint ?? "", /restore keys.json from this manager's backup/);
    return true;
  });
  assert.ok(!existsSync(join(dir, KEYS_FILE)), "no new key hides the loss");
});

test("keys.json readable by group or others is refused", async (t) => {
  const dir = tempDir(t);
  await openDataKey(dir, NO_DATA);
  chmodSync(join(dir, KEYS_FILE), 0o640);
  await assert.rejects(openDataKey(dir, NO_DATA), /has mode 0640: the data key must be readable by its owner only/);
});

test("a malformed keys.json is refused, saying what is wrong", () => {
  const good = newKeysFile((n) => Buffer.alloc(n, 7));
  assert.deepEqual(parseKeysFile(JSON.stringify(good), "k.json"), {
    locked: false,
    key: { id: "07".repeat(8), key: Buffer.alloc(32, 7) },
  });
  for (const [text, what] of [
    ["{", /not JSON/],
    [JSON.stringify({ ...good, version: 2 }), /version 2, this build reads 1/],
    [JSON.stringify({ ...good, kek: { id: "x" } }), /kek must be null or name an unlock key/],
    [JSON.stringify({ ...good, kek: { id: "x", createdAt: "t" } }), /dek.wrapped is not a key envelope/],
    [JSON.stringify({ ...good, dek: { ...good.dek, id: "short" } }), /dek.id must be 16 hex digits/],
    [
      JSON.stringify({ ...good, dek: { ...good.dek, key: Buffer.alloc(16).toString("base64") } }),
      /dek.key must be 32 bytes/,
    ],
    [JSON.stringify({ ...good, dek: { ...good.dek, key: "not base64!" } }), /dek.key must be 32 bytes/],
  ] as const) {
    assert.throws(
      () => parseKeysFile(text, "k.json"),
      (e: unknown) => {
        assert.ok(e instanceof ManagerStartError);
        assert.match(e.message, /^manager: k.json is malformed: /);
        assert.match(e.message, what);
        return true;
      },
    );
  }
});
