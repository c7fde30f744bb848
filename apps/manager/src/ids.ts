import { randomBytes } from "node:crypto";

let last = 0;
let counter = 0;

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
  const rand = [...randomBytes(13)].map((b) => (b % 36).toString(36)).join("");
  return (time + seq + rand).slice(0, 25);
}

/** A secret for tokens: 32 random base-36 characters. */
export function newSecret(length = 32): string {
  return [...randomBytes(length)].map((b) => (b % 36).toString(36)).join("");
}
