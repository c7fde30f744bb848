import assert from "node:assert/strict";
import { test } from "node:test";
import { containerResolvConf } from "./runtime.js";

const host = "search corp.example\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\n";

test("a container's resolv.conf: the host's without loopback servers, or the given servers with the host's search and options", () => {
  assert.equal(containerResolvConf(host, "host"), host);
  assert.equal(containerResolvConf(host, "path"), "search corp.example\nnameserver 192.0.2.53\noptions edns0 trust-ad\n");
  assert.equal(containerResolvConf(host, "path", ["10.211.0.1"]), "nameserver 10.211.0.1\nsearch corp.example\noptions edns0 trust-ad\n");
});
