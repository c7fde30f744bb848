import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError } from "./errors.js";
import { formatIpv4, gatewayOf, inSubnet, parseIpv4, parseSubnet } from "./ipv4.js";

test("dotted quads parse and format both ways; malformed ones are refused", () => {
  for (const text of ["0.0.0.0", "10.211.0.5", "255.255.255.255"]) {
    const n = parseIpv4(text);
    assert.notEqual(n, undefined);
    assert.equal(formatIpv4(n ?? -1), text);
  }
  for (const bad of ["", "10.0.0", "10.0.0.256", "10.0.0.01", "a.b.c.d", "10.0.0.0/8", " 10.0.0.1"]) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test("subnets give their gateway and bounds; host bits and odd prefixes are refused with a hint", () => {
  const s = parseSubnet("10.211.0.0/16");
  assert.equal(s.cidr, "10.211.0.0/16");
  assert.equal(gatewayOf(s), "10.211.0.1");
  assert.equal(formatIpv4(s.broadcast), "10.211.255.255");
  assert.ok(inSubnet(s, "10.211.3.4"));
  assert.ok(!inSubnet(s, "10.212.0.1"));
  assert.throws(() => parseSubnet("10.211.0.1/16"), /did you mean 10\.211\.0\.0\/16/);
  for (const bad of ["10.0.0.0", "10.0.0.0/31", "10.0.0.0/4", "10.0.0.0/16/1", "x/16"]) {
    assert.throws(() => parseSubnet(bad), InvalidSpecError, bad);
  }
});
