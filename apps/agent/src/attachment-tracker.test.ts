import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryNetwork } from "@shoal/overlay";
import { AttachmentTracker } from "./attachment-tracker.js";

test("the tracker adopts what exists once, then follows its own attaches and detaches without asking again", async () => {
  const net = new MemoryNetwork();
  await net.setup();
  const old = await net.attach("old");
  let asked = 0;
  const attachments = net.attachments;
  Object.defineProperty(net, "attachments", { value: () => (asked++, attachments()) });
  const tracker = new AttachmentTracker(net);
  assert.deepEqual([...(await tracker.list())], [["old", old.address]]);
  const a = await tracker.attach("a");
  await tracker.detach("old");
  assert.deepEqual([...(await tracker.list())], [["a", a.address]]);
  assert.equal(asked, 1);
});

test("a failed attach is listed without an address, so the task's leftovers are detached when it goes", async () => {
  const net = new MemoryNetwork();
  await net.setup();
  const tracker = new AttachmentTracker(net);
  await tracker.list();
  Object.defineProperty(net, "attach", { value: () => Promise.reject(new Error("no more addresses")) });
  await assert.rejects(tracker.attach("b"), /no more addresses/);
  assert.deepEqual([...(await tracker.list())], [["b", ""]]);
  await tracker.detach("b");
  assert.deepEqual([...(await tracker.list())], []);
});

test("a failed first read is tried again by the next call", async () => {
  const net = new MemoryNetwork();
  await net.setup();
  const attachments = net.attachments;
  let fail = true;
  Object.defineProperty(net, "attachments", {
    value: () => (fail ? Promise.reject(new Error("ip failed")) : attachments()),
  });
  const tracker = new AttachmentTracker(net);
  await assert.rejects(tracker.list(), /ip failed/);
  fail = false;
  assert.deepEqual([...(await tracker.list())], []);
});
