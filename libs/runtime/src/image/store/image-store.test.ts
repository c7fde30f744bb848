import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { InUseError, InvalidReferenceError, NotFoundError, PullNotConfiguredError } from "../../errors.js";
import { ensureBusyboxTarball } from "../../testing/busybox.js";
import { ImageStore } from "./image-store.js";
import { buildLayer, dockerSaveTarball, listing, ociTarball, withTempDir } from "./test-fixtures.js";
import type { FixtureLayer } from "./test-fixtures.js";

const run = promisify(execFile);
// Extraction sets owners and makes device nodes: root only. CI runs as root and must never skip.
const skip = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root" : false;

const base: FixtureLayer = {
  entries: [
    { path: "etc/", type: "dir" },
    {
      path: "etc/os-release",
      type: "file",
      data: "base\n",
      mtime: 1600000000,
      xattrs: { "user.shoal": "kept", "trusted.overlay.redirect": "/x" },
    },
    { path: "bin/", type: "dir" },
    { path: "bin/tool", type: "file", data: "#!/bin/sh\n", mode: 0o4755, uid: 1000, gid: 1000 },
    { path: "bin/tool-link", type: "hardlink", linkpath: "bin/tool" },
    { path: "bin/sh", type: "symlink", linkpath: "/bin/busybox" },
    { path: `deep/${"d".repeat(120)}/file`, type: "file", data: "long\n" },
  ],
  gzip: true,
};
const app: FixtureLayer = {
  entries: [
    { path: "app/", type: "dir" },
    { path: "app/run", type: "file", data: "app\n", mode: 0o755 },
  ],
};

describe("ImageStore", { skip }, () => {
  it("loads the busybox OCI tarball, tagged from its annotations, and runs nothing twice", () =>
    withTempDir(async (dir) => {
      const tarball = await ensureBusyboxTarball();
      const store = await ImageStore.open({ root: dir });
      const { images } = await store.load(tarball);
      assert.equal(images.length, 1);
      const img = images[0]!;
      assert.deepEqual(img.repoTags, ["docker.io/library/busybox:latest"]);
      assert.equal(img.repoDigests[0], `docker.io/library/busybox@${img.manifestDigest}`);
      assert.deepEqual([img.os, img.architecture, img.config.cmd], ["linux", "amd64", ["sh"]]);
      const { layerDirs } = await store.resolve("busybox");
      assert.equal(layerDirs.length, 1);
      assert.equal(await fs.readlink(path.join(layerDirs[0]!, "bin", "sh")), "busybox");
      assert.equal((await fs.stat(path.join(layerDirs[0]!, "tmp"))).mode & 0o7777, 0o1777);
      assert.ok(img.size > 500_000);
      // Loading again changes nothing and finds it by id prefix too.
      await store.load(tarball);
      assert.equal((await store.list()).length, 1);
      assert.equal((await store.inspect(img.id.slice(7, 13))).id, img.id);
    }));

  it("loads a docker-save tarball with a gzip and a plain layer, hardlinks, setuid bits, owners and long names", () =>
    withTempDir(async (dir) => {
      const tarball = path.join(dir, "app.tar");
      await fs.writeFile(
        tarball,
        dockerSaveTarball([base, app], ["app:1", "registry:5000/team/app:v2"], {
          configExtra: { Healthcheck: { Test: ["CMD", "true"], Interval: 2e9 }, ExposedPorts: { "80/tcp": {} } },
        }),
      );
      const store = await ImageStore.open({ root: path.join(dir, "images") });
      const [img] = (await store.load(tarball)).images;
      assert.deepEqual(img?.repoTags, ["docker.io/library/app:1", "registry:5000/team/app:v2"]);
      assert.deepEqual(img?.config.healthcheck, { test: ["CMD", "true"], intervalMs: 2000 });
      assert.deepEqual(img?.config.exposedPorts, ["80/tcp"]);
      const { layerDirs } = await store.resolve("registry:5000/team/app:v2");
      const [lower, upper] = layerDirs as [string, string];
      const tool = await fs.stat(path.join(lower, "bin/tool"));
      const link = await fs.stat(path.join(lower, "bin/tool-link"));
      assert.equal(tool.ino, link.ino, "hardlink shares the inode");
      assert.deepEqual([tool.mode & 0o7777, tool.uid, tool.gid], [0o4755, 1000, 1000]);
      assert.equal((await fs.stat(path.join(lower, "etc/os-release"))).mtimeMs, 1600000000 * 1000);
      const { stdout: attrs } = await run("getfattr", [
        "-d",
        "-m",
        "-",
        "--absolute-names",
        path.join(lower, "etc/os-release"),
      ]);
      assert.match(attrs, /user\.shoal="kept"/);
      assert.doesNotMatch(attrs, /trusted\.overlay/);
      assert.equal(await fs.readFile(path.join(lower, `deep/${"d".repeat(120)}/file`), "utf8"), "long\n");
      assert.equal(await fs.readFile(path.join(upper, "app/run"), "utf8"), "app\n");
      assert.equal(img?.size, "base\n#!/bin/sh\nlong\napp\n".length);
    }));

  it("shares layers between images, tags, untags, refuses removing an image in use, and deletes unreferenced layers", () =>
    withTempDir(async (dir) => {
      const users = new Map<string, string[]>();
      const store = await ImageStore.open({ root: path.join(dir, "images"), usersOf: (id) => users.get(id) ?? [] });
      await fs.writeFile(path.join(dir, "a.tar"), dockerSaveTarball([base], ["base:1"]));
      await fs.writeFile(path.join(dir, "b.tar"), ociTarball([base, app], "app:1"));
      const [a] = (await store.load(path.join(dir, "a.tar"))).images;
      const [b] = (await store.load(path.join(dir, "b.tar"))).images;
      const baseDiff = buildLayer(base).diffId;
      const appDiff = buildLayer(app).diffId;
      assert.deepEqual(b?.layers, [baseDiff, appDiff]);
      const layerDir = (d: string): string => path.join(dir, "images", "layers", d.slice(7));

      await store.tag("base:1", "base:latest");
      assert.deepEqual((await store.inspect("base")).repoTags, [
        "docker.io/library/base:1",
        "docker.io/library/base:latest",
      ]);
      await assert.rejects(store.tag("base:1", `x@sha256:${"a".repeat(64)}`), InvalidReferenceError);
      await assert.rejects(store.tag("nope", "x:1"), NotFoundError);
      assert.deepEqual(await store.remove("base:latest"), { untagged: ["docker.io/library/base:latest"], deleted: [] });

      users.set(a!.id, ["c1"]);
      await assert.rejects(
        store.remove("base:1"),
        (err: unknown) => err instanceof InUseError && err.users.includes("c1"),
      );
      users.clear();
      assert.deepEqual(await store.remove("base:1"), { untagged: ["docker.io/library/base:1"], deleted: [a!.id] });
      await assert.rejects(store.inspect(a!.id), NotFoundError);
      await fs.access(layerDir(baseDiff)); // still used by app:1

      assert.deepEqual(await store.remove(b.id.slice(7)), { untagged: ["docker.io/library/app:1"], deleted: [b.id] });
      await assert.rejects(fs.access(layerDir(baseDiff)));
      await assert.rejects(fs.access(layerDir(appDiff)));
      assert.deepEqual(await fs.readdir(path.join(dir, "images", "blobs", "sha256")), []);

      // The metadata survives a reopen.
      const [c] = (await store.load(path.join(dir, "b.tar"))).images;
      const reopened = await ImageStore.open({ root: path.join(dir, "images") });
      assert.deepEqual(await reopened.inspect("app:1"), c);
    }));

  it("prunes dangling images unless in use, everything unused with all, and reports reclaimed bytes", () =>
    withTempDir(async (dir) => {
      const users = new Map<string, string[]>();
      const store = await ImageStore.open({ root: path.join(dir, "images"), usersOf: (id) => users.get(id) ?? [] });
      await fs.writeFile(path.join(dir, "a.tar"), dockerSaveTarball([base], ["x:1"]));
      await fs.writeFile(path.join(dir, "b.tar"), dockerSaveTarball([base, app], ["x:1"]));
      const [a] = (await store.load(path.join(dir, "a.tar"))).images;
      const [b] = (await store.load(path.join(dir, "b.tar"))).images;
      assert.deepEqual((await store.inspect(a!.id)).repoTags, [], "the tag moved to the newer image");
      users.set(b!.id, ["c1"]);
      const first = await store.prune();
      assert.deepEqual(first.deletedImages, [a!.id]);
      assert.deepEqual(first.deletedLayers, []);
      assert.ok(first.reclaimedBytes > 0, "the config and manifest blobs of a");
      const second = await store.prune({ all: true });
      assert.deepEqual(second.deletedImages, []);
      users.clear();
      const third = await store.prune({ all: true });
      assert.deepEqual(third.deletedImages, [b!.id]);
      assert.equal(third.deletedLayers.length, 2);
      assert.ok(third.reclaimedBytes >= "base\n#!/bin/sh\nlong\napp\n".length);
      assert.deepEqual(await listing(path.join(dir, "images")), [
        "blobs",
        "blobs/sha256",
        "images.json",
        "layers",
        "tmp",
      ]);
    }));

  it("finds images by reference, digest, id and prefix, and names what it cannot find", () =>
    withTempDir(async (dir) => {
      const store = await ImageStore.open({ root: dir });
      const [img] = (await store.load(await ensureBusyboxTarball())).images;
      for (const ref of [
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox",
        img!.id,
        img!.id.slice(7),
        img!.id.slice(0, 11),
        `busybox@${img!.manifestDigest}`,
      ]) {
        assert.equal((await store.inspect(ref)).id, img!.id, ref);
      }
      await assert.rejects(store.inspect("busybox:nope"), /no image named "busybox:nope"/);
      await assert.rejects(store.inspect("Busy"), InvalidReferenceError);
      await assert.rejects(store.pull("busybox"), PullNotConfiguredError);
    }));

  it("removes what a crash left behind when opened", () =>
    withTempDir(async (dir) => {
      const store = await ImageStore.open({ root: dir });
      await fs.mkdir(path.join(dir, "tmp", "load-x", "layers"), { recursive: true });
      await fs.mkdir(path.join(dir, "layers", "f".repeat(64), "diff"), { recursive: true });
      await fs.writeFile(path.join(dir, "blobs", "sha256", "e".repeat(64)), "orphan");
      await fs.writeFile(path.join(dir, "images.json.tmp-123"), "{");
      assert.equal((await store.list()).length, 0);
      await ImageStore.open({ root: dir });
      assert.deepEqual(await listing(dir), ["blobs", "blobs/sha256", "layers", "tmp"]);
    }));
});
