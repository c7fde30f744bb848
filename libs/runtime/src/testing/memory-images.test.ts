import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  CorruptImageError,
  InUseError,
  InvalidReferenceError,
  NotFoundError,
  RegistryError,
  UnsupportedMediaTypeError,
} from "../errors.js";
import { memoryImage, normalizeImageRef } from "./memory-image-ref.js";
import { MemoryImageService } from "./memory-images.js";

describe("normalizeImageRef", () => {
  const good: [string, string][] = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["user/app", "docker.io/user/app:latest"],
    ["localhost/app", "localhost/app:latest"],
    ["registry:5000/a/b:tag", "registry:5000/a/b:tag"],
    ["quay.io/x/y", "quay.io/x/y:latest"],
    [`busybox@sha256:${"a".repeat(64)}`, `docker.io/library/busybox@sha256:${"a".repeat(64)}`],
  ];
  for (const [ref, want] of good) it(`normalizes ${ref}`, () => assert.equal(normalizeImageRef(ref), want));
  for (const bad of ["", "Busybox", "a:b:c", "a/:x", "busybox@sha256:12", "busybox:-x", "/abs"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => normalizeImageRef(bad), InvalidReferenceError));
  }
});

describe("MemoryImageService", () => {
  const users = new Map<string, string[]>();
  const fresh = (): MemoryImageService => new MemoryImageService((id) => users.get(id) ?? []);

  it("finds images by name, tag, id, id prefix and digest reference", async () => {
    const images = fresh();
    const bb = images.addImage(memoryImage("busybox"));
    assert.deepEqual(bb.repoTags, ["docker.io/library/busybox:latest"]);
    for (const ref of [
      "busybox",
      "busybox:latest",
      "docker.io/library/busybox",
      bb.id,
      bb.id.slice(7, 19),
      bb.id.slice(0, 12),
      bb.repoDigests[0] ?? "",
    ]) {
      assert.equal((await images.inspect(ref)).id, bb.id, ref);
    }
    await assert.rejects(
      images.inspect("alpine"),
      (err: unknown) => err instanceof NotFoundError && err.kind === "image",
    );
    await assert.rejects(images.inspect("Bad Ref"), InvalidReferenceError);
    assert.equal((await images.list()).length, 1);
  });

  it("tags, untags and deletes with the last tag; refuses to delete an image in use unless forced", async () => {
    const images = fresh();
    const bb = images.addImage(memoryImage("busybox"));
    await images.tag("busybox", "mine:v1");
    assert.deepEqual((await images.inspect(bb.id)).repoTags, [
      "docker.io/library/busybox:latest",
      "docker.io/library/mine:v1",
    ]);
    assert.deepEqual(await images.remove("busybox"), { untagged: ["docker.io/library/busybox:latest"], deleted: [] });
    users.set(bb.id, ["c1"]);
    await assert.rejects(
      images.remove("mine:v1"),
      (err: unknown) => err instanceof InUseError && err.users.includes("c1"),
    );
    assert.deepEqual(
      (await images.inspect(bb.id)).repoTags,
      ["docker.io/library/mine:v1"],
      "a refused remove changes nothing",
    );
    assert.deepEqual(await images.remove("mine:v1", { force: true }), {
      untagged: ["docker.io/library/mine:v1"],
      deleted: [bb.id],
    });
    users.delete(bb.id);
    await assert.rejects(images.inspect(bb.id), NotFoundError);
    await assert.rejects(images.tag("busybox", `x@sha256:${"b".repeat(64)}`), NotFoundError);
    const other = images.addImage(memoryImage("other"));
    await assert.rejects(images.tag("other", `x@sha256:${"b".repeat(64)}`), InvalidReferenceError);
    assert.deepEqual(await images.remove(other.id), {
      untagged: ["docker.io/library/other:latest"],
      deleted: [other.id],
    });
  });

  it("moves a tag that another image held", async () => {
    const images = fresh();
    const v1 = images.addImage(memoryImage("app", { labels: { v: "1" } }));
    const v2 = images.addImage(memoryImage("app", { labels: { v: "2" } }));
    assert.notEqual(v1.id, v2.id);
    assert.deepEqual((await images.inspect(v1.id)).repoTags, []);
    assert.equal((await images.inspect("app")).id, v2.id);
  });

  it("pulls from the seeded registry; unknown refs and injected failures reject", async () => {
    const images = fresh();
    images.addRegistryImage("registry:5000/app:1", memoryImage("app:1"));
    const pulled = await images.pull("registry:5000/app:1");
    assert.deepEqual(pulled.repoTags, ["registry:5000/app:1"]);
    assert.ok(pulled.repoDigests.includes(`registry:5000/app@${pulled.manifestDigest}`));
    await assert.rejects(
      images.pull("registry:5000/none"),
      (err: unknown) => err instanceof RegistryError && err.httpStatus === 404 && !err.temporary,
    );
    images.addRegistryImage("flaky", new RegistryError("runtime: registry unavailable", 503));
    await assert.rejects(images.pull("flaky"), (err: unknown) => err instanceof RegistryError && err.temporary);
    await assert.rejects(images.pull("registry:5000/app:1", { signal: AbortSignal.abort() }), { name: "AbortError" });
  });

  it("prunes dangling images (all unused ones with `all`) and reports their layers", async () => {
    const images = fresh();
    const a = images.addImage(memoryImage("a", {}, { size: 7 }));
    const b = images.addImage(memoryImage("b", {}, { size: 10 }));
    const c = images.addImage(memoryImage("c", {}, { size: 100 }));
    images.addImage({ ...memoryImage("shares-c"), layers: c.layers });
    users.set(b.id, ["user"]);
    await images.remove("a");
    await images.remove("b", { force: true });
    assert.deepEqual(
      await images.prune(),
      { deletedImages: [], deletedLayers: [], reclaimedBytes: 0 },
      "a was deleted with its last tag, b is in use",
    );
    images.addImage({ ...a, repoTags: [] });
    assert.deepEqual(await images.prune(), { deletedImages: [a.id], deletedLayers: a.layers, reclaimedBytes: 7 });
    assert.deepEqual(
      await images.prune({ all: true }).then((r) => r.deletedImages.length),
      2,
      "c and shares-c; b is in use",
    );
    users.delete(b.id);
    assert.equal((await images.list()).length, 0, "b went with its forced remove");
  });

  it("loads a JSON fixture of records, all or nothing, and refuses tarballs", async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shoal-memory-images-"));
    t.after(() => fs.rm(dir, { recursive: true, force: true }));
    const images = fresh();
    const fixture = path.join(dir, "images.json");
    await fs.writeFile(fixture, JSON.stringify({ images: [memoryImage("one"), memoryImage("two")] }));
    const { images: loaded } = await images.load(fixture);
    assert.deepEqual(
      loaded.map((i) => i.repoTags[0]),
      ["docker.io/library/one:latest", "docker.io/library/two:latest"],
    );
    const broken = path.join(dir, "broken.json");
    await fs.writeFile(broken, JSON.stringify([memoryImage("three"), { id: "nope" }]));
    await assert.rejects(images.load(broken), CorruptImageError);
    await assert.rejects(images.inspect("three"), NotFoundError);
    const tar = path.join(dir, "image.tar");
    await fs.writeFile(tar, Buffer.alloc(1024));
    await assert.rejects(images.load(tar), UnsupportedMediaTypeError);
  });
});
