import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RegistryClient } from "./image/registry/index.js";
import { RegistryError, type LogEntry } from "./index.js";
import { unpackBusyboxLayout } from "./testing/busybox.js";
import { startRegistry, type TestRegistry } from "./testing/registry.js";
import { openTestRuntime, rootSkip as skip } from "./testing/runtime-fixture.js";

/** Pushes the busybox OCI tarball's image to the registry as `repoTag`. */
async function pushBusybox(reg: TestRegistry, repoTag: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "shoal-push-"));
  try {
    const { blob, manifest } = await unpackBusyboxLayout(dir);
    const manifestDigest = (
      JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] }
    ).manifests[0]!.digest;
    await reg.push(repoTag, {
      manifest: readFileSync(blob(manifestDigest)),
      mediaType: manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
      config: readFileSync(blob(manifest.config.digest)),
      layers: manifest.layers.map((l) => readFileSync(blob(l.digest))),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an image pulled from a registry with token auth runs", { skip }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  await pushBusybox(reg, "shoal/busybox:1.0");
  const f = await openTestRuntime(
    { fetcher: new RegistryClient({ credentials: { [reg.host]: reg.credentials } }) },
    { loadBusybox: false },
  );
  t.after(f.cleanup);
  const rt = f.runtime;
  const ref = `${reg.host}/shoal/busybox:1.0`;
  const image = await rt.images.pull(ref);
  assert.deepEqual(image.repoTags, [ref]);
  assert.equal(image.repoDigests.length, 1);
  assert.deepEqual(
    (await rt.images.list()).map((i) => i.id),
    [image.id],
  );
  await rt.create({ id: "pulled", image: ref, cmd: ["echo", "pulled"] });
  await rt.start("pulled");
  assert.equal((await rt.wait("pulled")).exitCode, 0);
  const lines: LogEntry[] = [];
  for await (const e of rt.logs("pulled")) lines.push(e);
  assert.deepEqual(
    lines.map((e) => e.line),
    ["pulled\n"],
  );
});

test("a pull with the wrong login fails with RegistryError and stores nothing", { skip }, async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  await pushBusybox(reg, "shoal/busybox:1.0");
  const f = await openTestRuntime(
    {
      fetcher: new RegistryClient({
        credentials: { [reg.host]: { username: reg.credentials.username, password: "wrong" } },
      }),
    },
    { loadBusybox: false },
  );
  t.after(f.cleanup);
  await assert.rejects(
    f.runtime.images.pull(`${reg.host}/shoal/busybox:1.0`),
    (e: unknown) => e instanceof RegistryError && e.temporary === false,
  );
  assert.deepEqual(await f.runtime.images.list(), []);
});
