import { randomBytes } from "node:crypto";

let last = 0;
let counter = 0;

/** A source of random bytes: `n` bytes, each uniform over 0..255. */
export type RandomBytes = (n: number) => Uint8Array;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** The largest multiple of 36 that fits in a byte: bytes at or above it are rejected, so each digit is uniform. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/**
 * `length` random base-36 characters drawn from `random`, each uniform. A byte `b` gives the digit `b % 36` only
 * when `b < 252`: the 4 bytes above would make digits 0-3 more likely than the others (8/256 instead of 7/256)
 * if they were folded in, so they are dropped and more bytes are drawn (rejection sampling, 1.6 % of bytes).
 */
export function randomBase36(length: number, random: RandomBytes = randomBytes): string {
  let out = "";
  while (out.length < length) {
    // A few bytes more than needed on average, so that one draw usually suffices.
    for (const b of random(length - out.length + 4)) {
      if (b >= UNBIASED_LIMIT) continue;
      out += ALPHABET[b % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * A new object id: 25 lowercase base-36 characters that sort in creation order on one manager (time, then a
 * counter), then random, so ids made in the same millisecond still differ and still sort.
 */
export function newId(now = Date.now()): string {
  if (now === last) counter++;
  else {
    last = now;
    counter = 0;
  }
  const time = now.toString(36).padStart(9, "0");
  const seq = counter.toString(36).padStart(3, "0");
  return (time + seq + randomBase36(13)).slice(0, 25);
}

/** A secret for tokens: `length` (default 32) random base-36 characters, each uniform. */
export function newSecret(length = 32): string {
  return randomBase36(length);
}
