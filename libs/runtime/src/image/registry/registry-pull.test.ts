import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { DigestMismatchError, NotFoundError, RegistryError } from "../../errors.js";
import { registryAvailable, startRegistry } from "../../testing/registry.js";
import type { TestRegistry } from "../../testing/registry.js";
import { buildTestImage, buildTestIndex } from "../../testing/registry-test-image.js";
import type { TestImage } from "../../testing/registry-test-image.js";
import { RegistryClient } from "./registry-client.js";

// Under CI the registry must be there; elsewhere a machine without it skips these.
const skip =
  process.env["CI"] !== "true" && !(await registryAvailable())
    ? "docker-registry is not installed (scripts/setup.sh installs it)"
    : false;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

describe("RegistryClient against a real registry with token auth", { skip }, () => {
  let registry: TestRegistry;
  let client: RegistryClient;
  const pushImage = (ref: string, image: TestImage) =>
    registry.push(ref, {
      manifest: image.manifest,
      mediaType: image.mediaType,
      config: image.config,
      layers: [image.layer],
    });

  before(async () => {
    registry = await startRegistry();
    client = new RegistryClient({ credentials: { [registry.host]: registry.credentials } });
  });
  after(async () => {
    await registry?.stop();
  });

  test("pulls an OCI image by tag and by digest, and its blobs hash to their digests", async () => {
    const image = buildTestImage({ "etc/motd": "hello from the registry test\n", "bin/true": "#!/bin/sh\n" });
    await pushImage("app:1", image);
    const ref = `${registry.host}/app:1`;

    const byTag = await client.fetchManifest(ref);
    assert.equal(byTag.digest, image.digests.manifest);
    assert.equal(byTag.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(byTag.bytes, image.manifest);

    const byDigest = await client.fetchManifest(`${registry.host}/app@${image.digests.manifest}`);
    assert.deepEqual(byDigest, byTag);

    const config = await readAll(await client.openBlob(ref, image.digests.config));
    assert.equal(sha256(config), image.digests.config);
    const layer = await readAll(await client.openBlob(ref, image.digests.layer));
    assert.equal(sha256(layer), image.digests.layer);
    assert.deepEqual(gunzipSync(layer), image.tar);
  });

  test("pulls a Docker schema 2 manifest with its media type", async () => {
    const image = buildTestImage({ "docker.txt": "schema 2\n" }, { format: "docker" });
    await pushImage("legacy:2", image);
    const got = await client.fetchManifest(`${registry.host}/legacy:2`);
    assert.equal(got.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(got.digest, image.digests.manifest);
  });

  test("pulls an OCI index, then each child manifest by digest", async () => {
    const amd64 = buildTestImage({ "arch.txt": "amd64\n" });
    const arm64 = buildTestImage({ "arch.txt": "arm64\n" });
    for (const child of [amd64, arm64]) await pushImage(`multi@${child.digests.manifest}`, child);
    const index = buildTestIndex([
      { image: amd64, architecture: "amd64" },
      { image: arm64, architecture: "arm64" },
    ]);
    const pushed = await registry.push("multi:1", {
      manifest: index,
      mediaType: "application/vnd.oci.image.index.v1+json",
    });

    const ref = `${registry.host}/multi:1`;
    const got = await client.fetchManifest(ref);
    assert.equal(got.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.equal(got.digest, pushed.digest);
    const { manifests } = JSON.parse(got.bytes.toString("utf8")) as { manifests: { digest: string }[] };
    assert.deepEqual(
      manifests.map((m) => m.digest),
      [amd64.digests.manifest, arm64.digests.manifest],
    );
    for (const child of [amd64, arm64]) {
      const fetched = await client.fetchManifestByDigest(ref, child.digests.manifest);
      assert.equal(fetched.digest, child.digests.manifest);
      assert.equal(fetched.mediaType, child.mediaType);
      assert.deepEqual(fetched.bytes, child.manifest);
    }
  });

  test("wrong or missing credentials get a RegistryError naming the registry", async () => {
    await pushImage("private:1", buildTestImage({ "secret.txt": "s\n" }));
    const ref = `${registry.host}/private:1`;
    const wrong = new RegistryClient({
      credentials: { [registry.host]: { username: registry.credentials.username, password: "wrong" } },
    });
    await assert.rejects(wrong.fetchManifest(ref), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.temporary, false);
      assert.equal(err.httpStatus, 401);
      assert.ok(err.message.includes(`registry ${registry.host} refused the credentials of user "shoal"`), err.message);
      return true;
    });
    await assert.rejects(new RegistryClient().fetchManifest(ref), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.ok(err.message.includes(`add credentials for ${registry.host}`), err.message);
      return true;
    });
  });

  test("an unknown tag, repository or blob is a NotFoundError", async () => {
    const image = buildTestImage({ "known.txt": "k\n" });
    await pushImage("known:1", image);
    for (const ref of [`${registry.host}/known:nope`, `${registry.host}/never-pushed:1`]) {
      await assert.rejects(client.fetchManifest(ref), (err: unknown) => {
        assert.ok(err instanceof NotFoundError, String(err));
        assert.equal(err.kind, "image");
        assert.equal(err.ref, ref);
        assert.ok(err.message.includes(`is not in registry ${registry.host}`), err.message);
        return true;
      });
    }
    const missing = sha256(Buffer.from("never uploaded"));
    await assert.rejects(client.openBlob(`${registry.host}/known:1`, missing), (err: unknown) => {
      assert.ok(err instanceof NotFoundError, String(err));
      assert.equal(err.kind, "blob");
      assert.equal(err.ref, missing);
      return true;
    });
  });

  test("a token is fetched once per repository and again only after it expires", async () => {
    const image = buildTestImage({ "cached.txt": "c\n" });
    await pushImage("cached:1", image);
    await pushImage("cached-too:1", image);
    let now = 0;
    const clocked = new RegistryClient({ credentials: { [registry.host]: registry.credentials }, clock: () => now });
    const start = registry.tokenRequests;

    await clocked.fetchManifest(`${registry.host}/cached:1`);
    await clocked.fetchManifest(`${registry.host}/cached@${image.digests.manifest}`);
    await readAll(await clocked.openBlob(`${registry.host}/cached:1`, image.digests.layer));
    assert.equal(registry.tokenRequests - start, 1, "one token for three requests to one repository");

    await clocked.fetchManifest(`${registry.host}/cached-too:1`);
    assert.equal(registry.tokenRequests - start, 2, "another repository is another scope");

    now += 300_000; // the harness's tokens live 300 s
    await clocked.fetchManifest(`${registry.host}/cached:1`);
    assert.equal(registry.tokenRequests - start, 3, "an expired token is replaced");
  });

  test("a manifest whose stored bytes were tampered with is a DigestMismatchError when pulled by digest", async () => {
    const image = buildTestImage({ "tamper.txt": "original\n" });
    await pushImage("tamper:1", image);
    const forged = Buffer.from(image.manifest.toString("utf8").replace('"schemaVersion":2', '"schemaVersion":2 '));
    await writeFile(registry.blobPath(image.digests.manifest), forged);

    await assert.rejects(client.fetchManifest(`${registry.host}/tamper@${image.digests.manifest}`), (err: unknown) => {
      assert.ok(err instanceof DigestMismatchError, String(err));
      assert.equal(err.expected, image.digests.manifest);
      assert.equal(err.actual, sha256(forged));
      return true;
    });
  });

  test("an aborted signal stops a pull with the abort reason", async () => {
    const image = buildTestImage({ "abort.txt": "a\n" });
    await pushImage("abort:1", image);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.fetchManifest(`${registry.host}/abort:1`, { signal: controller.signal }), {
      name: "AbortError",
    });

    const late = new AbortController();
    const blob = await client.openBlob(`${registry.host}/abort:1`, image.digests.layer, { signal: late.signal });
    late.abort();
    await assert.rejects(readAll(blob), { name: "AbortError" });
  });

  test("an unreachable registry is a temporary RegistryError", async () => {
    const gone = await startRegistry();
    const host = gone.host;
    await gone.stop();
    await assert.rejects(client.fetchManifest(`${host}/app:1`), (err: unknown) => {
      assert.ok(err instanceof RegistryError, String(err));
      assert.equal(err.temporary, true);
      assert.equal(err.httpStatus, undefined);
      return true;
    });
  });
});
