import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { openKey, sealKey, type EnvelopeKey } from "./envelope.js";

const key = (o: Partial<EnvelopeKey> = {}): EnvelopeKey => ({
  secret: new Uint8Array(32).fill(1),
  clusterId: "c1",
  aad: "shoal-dek:0011223344556677:abcd1234",
  ...o,
});

test("an envelope opens with the key it was sealed with, and holds nothing of the plain key", () => {
  const plain = randomBytes(32);
  const a = sealKey(plain, key());
  const b = sealKey(plain, key());
  assert.deepEqual(openKey(a, key()), plain);
  assert.deepEqual(openKey(b, key()), plain);
  assert.notEqual(a.salt, b.salt, "a fresh salt each time");
  assert.notEqual(a.nonce, b.nonce, "a fresh nonce each time");
  assert.notEqual(a.data, b.data);
  const text = JSON.stringify(a);
  for (const form of [plain.toString("base64"), plain.toString("hex"), plain.toString("base64url")])
    assert.ok(!text.includes(form));
});

test("another unlock key, another cluster, other associated data or a changed byte do not open it", () => {
  const plain = randomBytes(32);
  const sealed = sealKey(plain, key());
  const cases: [string, Parameters<typeof openKey>][] = [
    ["another unlock key", [sealed, key({ secret: new Uint8Array(32).fill(2) })]],
    ["another cluster", [sealed, key({ clusterId: "c2" })]],
    ["another data key id", [sealed, key({ aad: "shoal-dek:ffffffffffffffff:abcd1234" })]],
    ["another unlock key id", [sealed, key({ aad: "shoal-dek:0011223344556677:ffffffff" })]],
  ];
  const data = Buffer.from(sealed.data, "base64");
  for (let i = 0; i < data.length; i += 7) {
    const flipped = Buffer.from(data);
    flipped[i] = (flipped[i] ?? 0) ^ 1;
    cases.push([`byte ${i} flipped`, [{ ...sealed, data: flipped.toString("base64") }, key()]]);
  }
  const salt = Buffer.from(sealed.salt, "base64");
  salt[0] = (salt[0] ?? 0) ^ 1;
  cases.push(["salt changed", [{ ...sealed, salt: salt.toString("base64") }, key()]]);
  for (const [what, args] of cases) assert.equal(openKey(...args), undefined, what);
  assert.throws(() => openKey({ ...sealed, nonce: "" }, key()), /malformed envelope/);
});
