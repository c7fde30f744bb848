// `shoal` on a manager node: root calls through the manager's local socket unless credentials or a remote
// manager are given.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs } from "./args/parser.js";
import { Context, GLOBAL_OPTIONS, isLoopbackHost } from "./context.js";
import { captureIo, FakeServer } from "./testing/fake-server.js";
import { makeService, withStatus } from "./testing/objects.js";

test("the local socket serves the CLI on a manager node unless credentials or a remote --host are given", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-cli-local-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const runDir = join(dir, "run");
  mkdirSync(runDir);
  const context = (argv: string[], env: Record<string, string> = {}) => {
    const p = parseArgs(
      [...argv, "--data-dir", join(dir, "data"), "--run-dir", runDir],
      { options: GLOBAL_OPTIONS },
      "x",
    );
    const ctx = new Context(captureIo({ env }), p);
    t.after(() => ctx.close());
    return ctx;
  };
  // No socket yet: the default host, over whatever the files say.
  assert.equal(context([]).client.manager, "http://127.0.0.1:7070");

  const local = new FakeServer();
  local.on("GET", "/v1/services", () => ({ status: 200, json: [withStatus(makeService({ name: "web" }), 1, 1)] }));
  await local.listen(join(runDir, "manager.sock"));
  t.after(() => local.close());

  const ctx = context([]);
  assert.equal(ctx.client.manager, "http://localhost");
  assert.deepEqual(
    (await ctx.client.call("serviceList")).map((s) => s.spec.name),
    ["web"],
  );
  assert.equal(context(["--host", "127.0.0.1:7070"]).client.manager, "http://localhost", "this node's manager");
  assert.equal(context([], { SHOAL_HOST: "localhost:7070" }).client.manager, "http://localhost");
  assert.equal(context(["--host", "10.0.0.9:7070"]).client.manager, "http://10.0.0.9:7070", "another manager");
  // Credentials given: they are used (here a bundle directory that does not exist), not the socket.
  assert.throws(() => context([], { SHOAL_CERT_PATH: join(dir, "bundle") }).client, { code: "SHOAL_ERR_CERT_FILES" });
});

test("isLoopbackHost: 127.0.0.0/8, ::1 and localhost, with or without a port or scheme", () => {
  for (const h of ["127.0.0.1:7070", "127.1.2.3", "localhost:7070", "[::1]:7070", "https://127.0.0.1:7070"])
    assert.ok(isLoopbackHost(h), h);
  for (const h of ["10.0.0.1:7070", "manager.example:7070", "128.0.0.1:7070", "localhost.example:7070"])
    assert.ok(!isLoopbackHost(h), h);
});
