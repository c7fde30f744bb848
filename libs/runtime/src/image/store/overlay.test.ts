import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { ImageStore } from "./image-store.js";
import { dockerSaveTarball, withTempDir } from "./test-fixtures.js";
import type { FixtureLayer } from "./test-fixtures.js";

const run = promisify(execFile);
const skip = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root (mount)" : false;

const lower: FixtureLayer = {
  entries: [
    { path: "keep/", type: "dir" },
    { path: "keep/a", type: "file", data: "a" },
    { path: "keep/gone", type: "file", data: "deleted above" },
    { path: "olddir/", type: "dir" },
    { path: "olddir/inner", type: "file", data: "deleted with its dir" },
    { path: "opq/", type: "dir" },
    { path: "opq/old1", type: "file", data: "hidden by the opaque dir" },
    { path: "opq/sub/", type: "dir" },
  ],
};
const upper: FixtureLayer = {
  entries: [
    { path: "keep/", type: "dir" },
    { path: "keep/.wh.gone", type: "file" },
    { path: ".wh.olddir", type: "file" },
    { path: "opq/", type: "dir" },
    { path: "opq/.wh..wh..opq", type: "file" },
    { path: "opq/new", type: "file", data: "top" },
  ],
  gzip: true,
};

describe("layers as overlayfs lower dirs", { skip }, () => {
  it("hide whited-out files and directories and show only the top layer in an opaque directory", () =>
    withTempDir(async (dir) => {
      const store = await ImageStore.open({ root: path.join(dir, "images") });
      await fs.writeFile(path.join(dir, "img.tar"), dockerSaveTarball([lower, upper], ["wh:1"]));
      await store.load(path.join(dir, "img.tar"));
      const { layerDirs } = await store.resolve("wh:1");
      const [bottom, top] = layerDirs as [string, string];
      // The markers themselves are not extracted; a whiteout is a 0:0 char device.
      const wh = await fs.stat(path.join(top, "keep", "gone"));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
      await assert.rejects(fs.access(path.join(top, "opq", ".wh..wh..opq")));
      const { stdout } = await run("getfattr", [
        "--only-values",
        "-n",
        "trusted.overlay.opaque",
        path.join(top, "opq"),
      ]);
      assert.equal(stdout, "y");

      const merged = path.join(dir, "merged");
      await fs.mkdir(merged);
      await run("mount", ["-t", "overlay", "overlay", "-o", `ro,lowerdir=${top}:${bottom}`, merged]);
      try {
        assert.deepEqual((await fs.readdir(merged)).sort(), ["keep", "opq"]);
        assert.deepEqual(await fs.readdir(path.join(merged, "keep")), ["a"]);
        assert.deepEqual(await fs.readdir(path.join(merged, "opq")), ["new"]);
        assert.equal(await fs.readFile(path.join(merged, "opq", "new"), "utf8"), "top");
      } finally {
        await run("umount", [merged]);
      }
    }));
});
