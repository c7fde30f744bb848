import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { DigestMismatchError, NotFoundError } from "../../errors.js";
import type { FetchedManifest, ImageFetcher } from "../source.js";
import { ImageStore } from "./image-store.js";
import { buildLayer, configBlob, digestOf, listing, withTempDir } from "./test-fixtures.js";

const skip = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root" : false;

/** An in-memory registry of one repository: manifests by tag and digest, blobs by digest. */
class FakeFetcher implements ImageFetcher {
  readonly manifests = new Map<string, FetchedManifest>();
  readonly blobs = new Map<string, Buffer>();
  /** Blobs served with different bytes than their digest promises. */
  readonly tampered = new Map<string, Buffer>();
  readonly requests: string[] = [];

  fetchManifest(ref: string): Promise<FetchedManifest> {
    this.requests.push(`manifest ${ref}`);
    const key = ref.includes("@") ? ref.slice(ref.indexOf("@") + 1) : ref.slice(ref.lastIndexOf(":") + 1);
    const m = this.manifests.get(key);
    return m ? Promise.resolve(m) : Promise.reject(new NotFoundError("image", ref));
  }
  fetchManifestByDigest(ref: string, digest: string): Promise<FetchedManifest> {
    return this.fetchManifest(`${ref.split(":")[0]}@${digest}`);
  }
  openBlob(_ref: string, digest: string): Promise<Readable> {
    this.requests.push(`blob ${digest}`);
    const b = this.tampered.get(digest) ?? this.blobs.get(digest);
    if (b === undefined) return Promise.reject(new NotFoundError("blob", digest));
    // Serve in small pieces so unpacking sees a real stream.
    const pieces: Buffer[] = [];
    for (let i = 0; i < b.length; i += 1000) pieces.push(b.subarray(i, i + 1000));
    return Promise.resolve(Readable.from(pieces));
  }

  /** Publishes an image (as an index with an arm64 and an amd64 manifest) under `tag`. */
  publish(tag: string): { layerDigest: string; indexDigest: string; manifestDigest: string } {
    const layer = buildLayer({ entries: [{ path: "hello", type: "file", data: "from the registry\n" }], gzip: true });
    const config = configBlob([layer.diffId]);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: {
          mediaType: "application/vnd.docker.container.image.v1+json",
          digest: digestOf(config),
          size: config.length,
        },
        layers: [
          {
            mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
            digest: layer.digest,
            size: layer.blob.length,
          },
        ],
      }),
    );
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
        manifests: [
          {
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            digest: `sha256:${"0".repeat(64)}`,
            size: 1,
            platform: { os: "linux", architecture: "arm64" },
          },
          {
            mediaType: "application/vnd.docker.distribution.manifest.v2+json",
            digest: digestOf(manifest),
            size: manifest.length,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    const fetched = (bytes: Buffer, mediaType: string): FetchedManifest => ({
      digest: digestOf(bytes),
      mediaType,
      bytes,
    });
    this.manifests.set(tag, fetched(index, "application/vnd.docker.distribution.manifest.list.v2+json"));
    this.manifests.set(digestOf(index), fetched(index, "application/vnd.docker.distribution.manifest.list.v2+json"));
    this.manifests.set(digestOf(manifest), fetched(manifest, "application/vnd.docker.distribution.manifest.v2+json"));
    this.blobs.set(digestOf(config), config);
    this.blobs.set(layer.digest, layer.blob);
    return { layerDigest: layer.digest, indexDigest: digestOf(index), manifestDigest: digestOf(manifest) };
  }
}

const amd64 = { os: "linux", architecture: "amd64" };

describe("ImageStore.pull", { skip }, () => {
  it("resolves the index to the platform's manifest, verifies and unpacks the blobs, and tags the image", () =>
    withTempDir(async (dir) => {
      const fetcher = new FakeFetcher();
      const { indexDigest, manifestDigest } = fetcher.publish("1.0");
      const store = await ImageStore.open({ root: dir, fetcher, platform: amd64 });
      const img = await store.pull("registry.local:5000/team/app:1.0");
      assert.deepEqual(img.repoTags, ["registry.local:5000/team/app:1.0"]);
      assert.deepEqual(img.repoDigests, [`registry.local:5000/team/app@${indexDigest}`]);
      assert.equal(img.manifestDigest, manifestDigest);
      const { layerDirs } = await store.resolve("registry.local:5000/team/app:1.0");
      assert.equal(await fs.readFile(path.join(layerDirs[0]!, "hello"), "utf8"), "from the registry\n");

      // By digest: no tag, and the layer it already has is not fetched again.
      fetcher.requests.length = 0;
      const again = await store.pull(`registry.local:5000/team/app@${indexDigest}`);
      assert.equal(again.id, img.id);
      assert.ok(!fetcher.requests.some((r) => r === `blob ${img.layers[0]}`));
      assert.equal(fetcher.requests.filter((r) => r.startsWith("blob")).length, 1, "only the config");
    }));

  it("keeps nothing when a blob is tampered with or a manifest is not what its digest says", () =>
    withTempDir(async (dir) => {
      const fetcher = new FakeFetcher();
      const { layerDigest, manifestDigest } = fetcher.publish("1.0");
      const store = await ImageStore.open({ root: dir, fetcher, platform: amd64 });
      const before = await listing(dir);

      fetcher.tampered.set(
        layerDigest,
        buildLayer({ entries: [{ path: "hello", type: "file", data: "evil\n" }], gzip: true }).blob,
      );
      await assert.rejects(
        store.pull("registry.local:5000/team/app:1.0"),
        (err: unknown) => err instanceof DigestMismatchError && err.expected === layerDigest,
      );
      assert.deepEqual(await listing(dir), before);
      assert.deepEqual(await store.list(), []);

      fetcher.tampered.clear();
      const m = fetcher.manifests.get(manifestDigest)!;
      fetcher.manifests.set(manifestDigest, {
        ...m,
        bytes: Buffer.from(m.bytes.toString().replace('schemaVersion":2', 'schemaVersion": 2')),
      });
      await assert.rejects(store.pull("registry.local:5000/team/app:1.0"), DigestMismatchError);
      assert.deepEqual(await listing(dir), before);

      await assert.rejects(store.pull("registry.local:5000/team/app:2.0"), NotFoundError);
      const arm = await ImageStore.open({
        root: path.join(dir, "arm"),
        fetcher,
        platform: { os: "linux", architecture: "s390x" },
      });
      fetcher.manifests.set(manifestDigest, m);
      await assert.rejects(
        arm.pull("registry.local:5000/team/app:1.0"),
        /has no image for linux\/s390x; the index offers linux\/arm64, linux\/amd64/,
      );
    }));
});
