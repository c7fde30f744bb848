import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RaftConfigError, RaftCorruptionError } from "../errors.js";
import { Rng } from "../testing/rng.js";
import {
  AES_GCM_OVERHEAD,
  AesGcmRecordCipher,
  PLAIN_RECORDS,
  partsLength,
  snapshotAad,
  walEntriesAad,
} from "./record-cipher.js";
import { testCipher } from "./storage-test-util.js";

const SEED = Number(process.env.SHOAL_SEED ?? 1);

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

const joined = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts);

function refuses(fn: () => unknown, what: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RaftCorruptionError, what);
    assert.match(err.message, /does not open with key test-key: altered, moved .*or sealed with another key/);
    return true;
  });
}

describe("AesGcmRecordCipher", () => {
  it("round-trips records of any size; each sealed record is the plain length plus nonce and tag", () => {
    const rng = new Rng(SEED);
    const cipher = testCipher();
    for (const size of [0, 1, 15, 16, 17, 255, 4096, 100_000, ...Array.from({ length: 50 }, () => rng.int(3000))]) {
      const plain = randomBytes(rng, size);
      const aad = walEntriesAad(rng.int(1000), 2, rng.int(1 << 30), rng.int(1 << 30));
      const parts = cipher.seal(plain, aad);
      assert.equal(partsLength(parts), size + AES_GCM_OVERHEAD, `size ${size} (seed ${SEED})`);
      assert.deepEqual(new Uint8Array(cipher.open(joined(parts), aad)), plain, `size ${size} (seed ${SEED})`);
    }
  });

  it("refuses a record with any one bit flipped (nonce, ciphertext or tag)", () => {
    const cipher = testCipher();
    const aad = walEntriesAad(3, 2, 1234, 77);
    const sealed = joined(cipher.seal(new TextEncoder().encode("the spec of a service, secrets included"), aad));
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const copy = Buffer.from(sealed);
      copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
      refuses(() => cipher.open(copy, aad), `bit ${bit}`);
    }
  });

  it("refuses a record opened at another place: every field of the associated data counts", () => {
    const cipher = testCipher();
    const sealed = joined(cipher.seal(Uint8Array.of(1, 2, 3), walEntriesAad(3, 2, 1234, 77)));
    const places: [string, Uint8Array][] = [
      ["another segment", walEntriesAad(4, 2, 1234, 77)],
      ["another record type", walEntriesAad(3, 3, 1234, 77)],
      ["another offset", walEntriesAad(3, 2, 1235, 77)],
      ["another first index", walEntriesAad(3, 2, 1234, 78)],
      ["a snapshot", snapshotAad(3, 77, new Uint8Array())],
    ];
    assert.deepEqual([...cipher.open(sealed, walEntriesAad(3, 2, 1234, 77))], [1, 2, 3]);
    for (const [what, aad] of places) refuses(() => cipher.open(sealed, aad), what);
    const snap = joined(cipher.seal(Uint8Array.of(9), snapshotAad(2, 10, Uint8Array.of(1, 2))));
    refuses(() => cipher.open(snap, snapshotAad(2, 10, Uint8Array.of(1, 3))), "other snapshot metadata");
    refuses(() => cipher.open(snap, snapshotAad(3, 10, Uint8Array.of(1, 2))), "other snapshot term");
  });

  it("refuses a record sealed with another key, and one shorter than nonce and tag", () => {
    const aad = walEntriesAad(1, 2, 40, 1);
    const sealed = joined(testCipher("test-key", 1).seal(Uint8Array.of(1, 2, 3), aad));
    refuses(() => testCipher("test-key", 2).open(sealed, aad), "another key under the same id");
    assert.throws(() => testCipher().open(sealed.subarray(0, AES_GCM_OVERHEAD - 1), aad), /shorter than its nonce/);
  });

  it("draws a fresh nonce for every record: the same record never seals to the same bytes", () => {
    const cipher = testCipher();
    const aad = walEntriesAad(1, 2, 40, 1);
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      nonces.add(Buffer.from(cipher.seal(Uint8Array.of(7), aad)[0] as Uint8Array).toString("hex"));
    }
    assert.equal(nonces.size, 2000);
  });

  it("takes its nonces from the random source it is given", () => {
    let fills = 0;
    const cipher = new AesGcmRecordCipher({
      keyId: "k",
      key: new Uint8Array(32),
      randomFill: (buf) => {
        fills++;
        buf.fill(fills);
      },
    });
    assert.deepEqual([...(cipher.seal(new Uint8Array(), new Uint8Array())[0] as Uint8Array)], Array(12).fill(1));
    assert.equal(fills, 1);
  });

  it("refuses a key that is not 256 bits and a key id that could not be written in a header", () => {
    for (const [keyId, size, msg] of [
      ["k", 16, /must be 32 bytes/],
      ["", 32, /key id must be/],
      ["plain", 32, /key id must be/],
      ["with space", 32, /key id must be/],
      ["x".repeat(65), 32, /key id must be/],
    ] as const) {
      assert.throws(
        () => new AesGcmRecordCipher({ keyId, key: new Uint8Array(size) }),
        (err: unknown) => {
          assert.ok(err instanceof RaftConfigError);
          assert.match(err.message, msg);
          return true;
        },
      );
    }
  });
});

describe("PLAIN_RECORDS", () => {
  it("is the identity: records are written and read as they are", () => {
    const plain = Uint8Array.of(1, 2, 3);
    const parts = PLAIN_RECORDS.seal(plain, new Uint8Array());
    assert.equal(parts.length, 1);
    assert.equal(parts[0], plain);
    assert.equal(PLAIN_RECORDS.open(plain, Uint8Array.of(9)), plain);
  });
});
