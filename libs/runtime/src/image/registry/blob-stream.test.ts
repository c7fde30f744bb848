import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { test } from "node:test";
import { RegistryError } from "../../errors.js";
import { RegistryClient } from "./registry-client.js";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function readAll(stream: Readable): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += (chunk as Buffer).toString("utf8");
  return text;
}

test("openBlob follows a redirect to another host without taking the registry login along", async (t) => {
  const cdnSaw: (string | undefined)[] = [];
  const cdn = createServer((req, res) => {
    cdnSaw.push(req.headers.authorization);
    res.end("blob bytes from the cdn");
  });
  const cdnPort = await listen(cdn);
  t.after(() => close(cdn));
  const registry = createServer((req, res) => {
    if (req.headers.authorization === undefined) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    res.writeHead(307, { location: `http://127.0.0.1:${cdnPort}/signed?sig=abc` }).end();
  });
  const registryPort = await listen(registry);
  t.after(() => close(registry));

  const host = `127.0.0.1:${registryPort}`;
  const client = new RegistryClient({ credentials: { [host]: { username: "u", password: "p" } } });
  const blob = await client.openBlob(`${host}/app:1`, `sha256:${"1".repeat(64)}`);
  assert.equal(await readAll(blob), "blob bytes from the cdn");
  assert.deepEqual(cdnSaw, [undefined]);
});

test("a blob whose connection breaks midway fails its stream with a temporary RegistryError", async (t) => {
  const registry = createServer((_req, res) => {
    res.writeHead(200, { "content-length": "1000" });
    res.write("only the first bytes", () => res.destroy());
  });
  const port = await listen(registry);
  t.after(() => close(registry));

  const blob = await new RegistryClient().openBlob(`127.0.0.1:${port}/app:1`, `sha256:${"2".repeat(64)}`);
  await assert.rejects(readAll(blob), (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.temporary, true);
    assert.match(err.message, /connection broke off midway/);
    return true;
  });
});
