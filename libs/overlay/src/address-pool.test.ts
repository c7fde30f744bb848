import assert from "node:assert/strict";
import { test } from "node:test";
import { allocateAddress, EMPTY_POOL, releaseAddress, type AddressPool } from "./address-pool.js";
import { AddressesExhaustedError } from "./errors.js";
import { parseSubnet } from "./ipv4.js";

function allocateAll(pool: AddressPool, cidr: string, ids: readonly string[]): { pool: AddressPool; got: string[] } {
  const subnet = parseSubnet(cidr);
  const got: string[] = [];
  for (const id of ids) {
    const r = allocateAddress(pool, subnet, id);
    pool = r.pool;
    got.push(r.address);
  }
  return { pool, got };
}

test("addresses start after the gateway and never include network, gateway or broadcast", () => {
  // A /29 has 8 addresses: .0 network, .1 gateway, .7 broadcast, so .2-.6 are usable.
  const { pool, got } = allocateAll(EMPTY_POOL, "10.9.0.0/29", ["a", "b", "c", "d", "e"]);
  assert.deepEqual(got, ["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"]);
  assert.throws(
    () => allocateAddress(pool, parseSubnet("10.9.0.0/29"), "f"),
    (err: unknown) => {
      assert.ok(err instanceof AddressesExhaustedError);
      assert.equal(err.code, "SHOAL_ERR_ADDRESSES_EXHAUSTED");
      assert.match(err.message, /10\.9\.0\.0\/29/);
      return true;
    },
  );
});

test("a task that already holds an address gets the same one back", () => {
  const subnet = parseSubnet("10.9.0.0/24");
  const a = allocateAddress(EMPTY_POOL, subnet, "a");
  const again = allocateAddress(a.pool, subnet, "a");
  assert.equal(again.address, a.address);
  assert.equal(again.pool, a.pool);
});

test("a freed address is reused only after the rest of the subnet has been handed out", () => {
  const subnet = parseSubnet("10.9.0.0/29");
  let { pool } = allocateAll(EMPTY_POOL, "10.9.0.0/29", ["a", "b"]);
  pool = releaseAddress(pool, "a");
  assert.deepEqual(pool.byTask, { b: "10.9.0.3" });
  const order: string[] = [];
  for (const id of ["c", "d", "e", "f"]) {
    const r = allocateAddress(pool, subnet, id);
    pool = r.pool;
    order.push(r.address);
  }
  // .2 was freed first but comes last: next-fit goes on after .3 and wraps.
  assert.deepEqual(order, ["10.9.0.4", "10.9.0.5", "10.9.0.6", "10.9.0.2"]);
});

test("no address is handed out twice across many allocations and releases", () => {
  const subnet = parseSubnet("10.9.0.0/26");
  let pool = EMPTY_POOL;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let step = 0; step < 2000; step++) {
    const id = `t${rand(80)}`;
    if (rand(3) === 0) pool = releaseAddress(pool, id);
    else {
      try {
        pool = allocateAddress(pool, subnet, id).pool;
      } catch (err) {
        assert.ok(err instanceof AddressesExhaustedError);
        assert.equal(Object.keys(pool.byTask).length, 61);
      }
    }
    const addresses = Object.values(pool.byTask);
    assert.equal(new Set(addresses).size, addresses.length, `duplicate address at step ${step}`);
    for (const a of addresses) assert.ok(!["10.9.0.0", "10.9.0.1", "10.9.0.63"].includes(a), a);
  }
});

test("releasing an unknown task changes nothing", () => {
  const { pool } = allocateAll(EMPTY_POOL, "10.9.0.0/24", ["a"]);
  assert.equal(releaseAddress(pool, "zzz"), pool);
});
