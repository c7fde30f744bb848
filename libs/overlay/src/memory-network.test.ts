import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError, NetworkNotReadyError } from "./errors.js";
import { MemoryNetwork } from "./memory-network.js";

test("the in-memory network hands out, keeps and frees addresses like the real one", async () => {
  const net = new MemoryNetwork({ subnet: "10.50.0.0/24", netnsPrefix: "t-" });
  await assert.rejects(net.attach("a"), NetworkNotReadyError);
  await net.setup();
  const a = await net.attach("a");
  assert.deepEqual(a, {
    taskId: "a",
    netnsPath: "/run/netns/t-a",
    address: "10.50.0.2",
    gateway: "10.50.0.1",
    prefixLength: 24,
  });
  assert.deepEqual(await net.attach("a"), a);
  const b = await net.attach("b");
  assert.equal(b.address, "10.50.0.3");
  assert.deepEqual(await net.attachments(), [a, b]);
  await net.detach("a");
  await net.detach("never-attached");
  assert.deepEqual(await net.attachments(), [b]);
  await assert.rejects(net.attach("bad/id"), InvalidSpecError);
  await net.teardown();
  assert.deepEqual(await net.attachments(), []);
  assert.equal(net.ready, false);
});

test("the in-memory network records the published rules and refuses invalid ones", async () => {
  const net = new MemoryNetwork();
  await net.setup();
  const rule = { protocol: "tcp" as const, publishedPort: 8080, targetPort: 80, backends: ["10.211.0.2"] };
  await net.publish([rule]);
  assert.deepEqual(net.rules, [rule]);
  await assert.rejects(net.publish([rule, rule]), /published twice/);
  assert.deepEqual(net.rules, [rule], "a refused publish leaves the rules as they were");
  await net.publish([]);
  assert.deepEqual(net.rules, []);
});
