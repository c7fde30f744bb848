import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { parseUpstream, upstreamsFromResolvConf } from "./upstreams.js";

test("resolv.conf gives its IPv4 nameservers in order, without comments, IPv6 or repeats", () => {
  const text = [
    "# generated",
    "search example.org",
    "nameserver 192.168.1.1",
    "nameserver  fe80::1%eth0",
    "  nameserver\t8.8.8.8   # google",
    ";nameserver 9.9.9.9",
    "nameserver 192.168.1.1",
    "nameserver 1.1.1",
    "options ndots:2",
    "nameserver 127.0.0.53",
  ].join("\n");
  assert.deepEqual(upstreamsFromResolvConf(text), ["192.168.1.1", "8.8.8.8", "127.0.0.53"]);
  assert.deepEqual(upstreamsFromResolvConf(""), []);
});

test("upstreams are an IPv4 address with an optional port; anything else is refused naming the field", () => {
  assert.deepEqual(parseUpstream("10.0.0.1"), { host: "10.0.0.1", port: 53 });
  assert.deepEqual(parseUpstream("127.0.0.1:5353"), { host: "127.0.0.1", port: 5353 });
  for (const bad of ["", "localhost", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:70000", "::1", "10.0.0.1:53:1"]) {
    assert.throws(() => parseUpstream(bad), InvalidSpecError, bad);
    assert.throws(() => parseUpstream(bad), /invalid upstreams/, bad);
  }
});
