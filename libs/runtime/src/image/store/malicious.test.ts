import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { CorruptImageError, DigestMismatchError, PathEscapeError, UnsupportedMediaTypeError } from "../../errors.js";
import { writeTar } from "../tar/tar-writer.js";
import { ImageStore } from "./image-store.js";
import { dockerSaveTarball, listing, ociTarball, withTempDir } from "./test-fixtures.js";
import type { FixtureLayer } from "./test-fixtures.js";

const skip = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root" : false;

const good: FixtureLayer = {
  entries: [
    { path: "etc/", type: "dir" },
    { path: "etc/hostname", type: "file", data: "x\n" },
  ],
};
const bigFile: FixtureLayer = { entries: [{ path: "big", type: "file", data: "y".repeat(5000) }] };

/** Each case: the archive to load (given a dir outside the store that an escape would write to) and the error. */
const cases: Array<{
  name: string;
  archive: (outside: string) => Buffer;
  error: new (...args: never[]) => Error;
  message: RegExp;
}> = [
  {
    name: "../x",
    archive: () => dockerSaveTarball([good, { entries: [{ path: "../x", type: "file", data: "evil" }] }], ["evil:1"]),
    error: PathEscapeError,
    message: /"\.\.\/x" has a path whose "\.\." leaves the layer root/,
  },
  {
    name: "/etc/x",
    archive: () => dockerSaveTarball([{ entries: [{ path: "/etc/x", type: "file", data: "evil" }] }], ["evil:1"]),
    error: PathEscapeError,
    message: /"\/etc\/x" has an absolute path/,
  },
  {
    name: "a symlink, then a file through it",
    archive: (outside) =>
      dockerSaveTarball(
        [
          {
            entries: [
              { path: "link", type: "symlink", linkpath: outside },
              { path: "link/pwned", type: "file", data: "evil" },
            ],
          },
        ],
        ["evil:1"],
      ),
    error: PathEscapeError,
    message: /"link\/pwned" goes through "link", a symlink of this layer/,
  },
  {
    name: "a hardlink to ../../etc/passwd",
    archive: () =>
      dockerSaveTarball(
        [{ entries: [{ path: "passwd", type: "hardlink", linkpath: "../../etc/passwd" }] }],
        ["evil:1"],
      ),
    error: PathEscapeError,
    message: /hardlink to "\.\.\/\.\.\/etc\/passwd", outside the layer/,
  },
  {
    name: "a truncated layer tar",
    archive: () =>
      dockerSaveTarball(
        [good, { entries: bigFile.entries, raw: writeTar(bigFile.entries).subarray(0, 3000) }],
        ["evil:1"],
      ),
    error: CorruptImageError,
    message: /layer layer1\/layer\.tar: tar is truncated inside member "big"/,
  },
  {
    name: "a truncated archive",
    archive: () => dockerSaveTarball([good, bigFile], ["evil:1"]).subarray(0, 4000),
    error: CorruptImageError,
    message: /truncated/,
  },
  {
    name: "a corrupt gzip layer",
    archive: () => {
      const gz = gzipSync(writeTar(bigFile.entries));
      gz.fill(0x55, 20, 40);
      return dockerSaveTarball([good, { entries: bigFile.entries, raw: gz }], ["evil:1"]);
    },
    error: CorruptImageError,
    message: /corrupt gzip data/,
  },
  {
    name: "a layer whose content does not match the config's diff id",
    archive: () =>
      dockerSaveTarball(
        [good, { entries: bigFile.entries, raw: writeTar([{ path: "other", type: "file", data: "z" }]) }],
        ["evil:1"],
        { blobPaths: true },
      ),
    error: DigestMismatchError,
    message: /uncompressed, as the config's rootfs.diff_ids/,
  },
  {
    name: "a zstd layer media type",
    archive: () =>
      ociTarball([good, bigFile], "evil:1", { layerMediaType: "application/vnd.oci.image.layer.v1.tar+zstd" }),
    error: UnsupportedMediaTypeError,
    message: /\+zstd/,
  },
  {
    name: "zstd bytes behind a tar media type",
    archive: () =>
      ociTarball(
        [good, { entries: bigFile.entries, raw: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]) }],
        "evil:1",
      ),
    error: UnsupportedMediaTypeError,
    message: /zstd-compressed/,
  },
  {
    name: "an archive that is no image",
    archive: () => writeTar([{ path: "hello.txt", type: "file", data: "hi" }]),
    error: CorruptImageError,
    message: /neither a docker save tarball/,
  },
];

describe("ImageStore refuses damaged and malicious archives, keeping nothing", { skip }, () => {
  for (const c of cases) {
    it(`refuses ${c.name}`, () =>
      withTempDir(async (dir) => {
        const outside = path.join(dir, "outside");
        await fs.mkdir(outside);
        const root = path.join(dir, "images");
        const store = await ImageStore.open({ root });
        await fs.writeFile(path.join(dir, "good.tar"), dockerSaveTarball([good], ["good:1"]));
        await store.load(path.join(dir, "good.tar"));
        const before = await listing(root);
        const metadata = await fs.readFile(path.join(root, "images.json"), "utf8");

        await fs.writeFile(path.join(dir, "evil.tar"), c.archive(outside));
        await assert.rejects(
          store.load(path.join(dir, "evil.tar")),
          (err: unknown) => err instanceof c.error && c.message.test(err.message),
        );

        assert.deepEqual(await listing(root), before);
        assert.equal(await fs.readFile(path.join(root, "images.json"), "utf8"), metadata);
        assert.deepEqual(await fs.readdir(outside), []);
        assert.deepEqual(
          (await store.list()).map((i) => i.repoTags),
          [["docker.io/library/good:1"]],
        );
      }));
  }

  it("loads a gzip-compressed outer tarball, and refuses a corrupt one", () =>
    withTempDir(async (dir) => {
      const store = await ImageStore.open({ root: path.join(dir, "images") });
      const gz = gzipSync(dockerSaveTarball([good, bigFile], ["zipped:1"]));
      await fs.writeFile(path.join(dir, "ok.tar.gz"), gz);
      assert.deepEqual((await store.load(path.join(dir, "ok.tar.gz"))).images[0]?.repoTags, [
        "docker.io/library/zipped:1",
      ]);
      gz.fill(0, 30, 60);
      await fs.writeFile(path.join(dir, "bad.tar.gz"), gz);
      await assert.rejects(store.load(path.join(dir, "bad.tar.gz")), /corrupt gzip data/);
      assert.deepEqual(await fs.readdir(path.join(dir, "images", "tmp")), []);
    }));
});
