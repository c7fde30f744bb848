import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { InUseError, InvalidSpecError, NotFoundError } from "../errors.js";
import { VolumeStore } from "./volume-store.js";

/** Runs `fn` with a fresh temp dir that is removed afterwards, even when `fn` throws. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shoal-volume-"));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const T0 = Date.parse("2026-11-23T10:00:00.000Z");

describe("VolumeStore", () => {
  it("creates <root>/<name>/_data and meta.json, and lists and inspects it", () =>
    withTempDir(async (dir) => {
      const root = path.join(dir, "volumes");
      const store = new VolumeStore({ root, now: () => T0 });
      const info = await store.create("data-1", { labels: { app: "web" } });
      assert.deepEqual(info, {
        name: "data-1",
        mountpoint: path.join(root, "data-1", "_data"),
        createdAt: "2026-11-23T10:00:00.000Z",
        labels: { app: "web" },
      });
      assert.ok((await fs.stat(info.mountpoint)).isDirectory());
      const meta: unknown = JSON.parse(await fs.readFile(path.join(root, "data-1", "meta.json"), "utf8"));
      assert.deepEqual(meta, { createdAt: "2026-11-23T10:00:00.000Z", labels: { app: "web" } });
      assert.deepEqual(await store.inspect("data-1"), info);
      await store.create("a");
      assert.deepEqual(
        (await store.list()).map((v) => v.name),
        ["a", "data-1"],
      );
      // A new store on the same root sees the same volumes (they live on disk).
      assert.deepEqual(await new VolumeStore({ root }).inspect("data-1"), info);
    }));

  it("returns the existing volume, unchanged, when the name is taken (like Docker)", () =>
    withTempDir(async (dir) => {
      let now = T0;
      const store = new VolumeStore({ root: dir, now: () => now });
      const first = await store.create("v", { labels: { a: "1" } });
      await fs.writeFile(path.join(first.mountpoint, "keep"), "x");
      now += 60_000;
      assert.deepEqual(await store.create("v", { labels: { b: "2" } }), first);
      assert.equal(await fs.readFile(path.join(first.mountpoint, "keep"), "utf8"), "x");
    }));

  it("rejects bad names and labels with InvalidSpecError naming the field, writing nothing", () =>
    withTempDir(async (dir) => {
      const store = new VolumeStore({ root: dir });
      for (const name of ["", ".hidden", "-x", "a/b", "..", "a b", "x".repeat(129), "ü"]) {
        await assert.rejects(
          store.create(name),
          (err: unknown) => err instanceof InvalidSpecError && err.field === "name",
          name,
        );
      }
      await assert.rejects(store.inspect("../etc"), InvalidSpecError);
      await assert.rejects(store.remove("a/b"), InvalidSpecError);
      const bad = { labels: { k: 1 as unknown as string } };
      await assert.rejects(
        store.create("ok", bad),
        (err: unknown) => err instanceof InvalidSpecError && err.field === "labels.k",
      );
      assert.equal((await store.create("x".repeat(128))).name.length, 128);
      assert.deepEqual(await fs.readdir(dir), ["x".repeat(128)]);
    }));

  it("refuses to remove a volume in use, and removes it once unused", () =>
    withTempDir(async (dir) => {
      let users: string[] = ["c1", "c2"];
      const store = new VolumeStore({ root: dir, usersOf: (name) => (name === "v" ? users : []) });
      const info = await store.create("v");
      await assert.rejects(store.remove("v"), (err: unknown) => {
        assert.ok(err instanceof InUseError);
        assert.deepEqual(err.users, ["c1", "c2"]);
        assert.match(err.message, /^runtime: volume "v" is in use by c1, c2/);
        return true;
      });
      assert.ok((await fs.stat(info.mountpoint)).isDirectory());
      users = [];
      await store.remove("v");
      assert.deepEqual(await fs.readdir(dir), []);
      await assert.rejects(store.inspect("v"), NotFoundError);
      await assert.rejects(store.remove("v"), (err: unknown) => err instanceof NotFoundError && err.kind === "volume");
    }));

  it("serializes concurrent creates of one name into one volume", () =>
    withTempDir(async (dir) => {
      const store = new VolumeStore({ root: dir });
      const all = await Promise.all([1, 2, 3, 4].map(() => store.create("same")));
      assert.ok(all.every((v) => v.createdAt === all[0]?.createdAt));
      assert.deepEqual(await fs.readdir(dir), ["same"]);
    }));

  it("clears staging leftovers of a crash and ignores them in list", () =>
    withTempDir(async (dir) => {
      await fs.mkdir(path.join(dir, ".tmp-half-0123", "_data"), { recursive: true });
      const store = new VolumeStore({ root: dir });
      assert.deepEqual(await store.list(), []);
      assert.deepEqual(await fs.readdir(dir), []);
    }));
});
