import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorruptImageError, PathEscapeError } from "../../errors.js";
import type { TarEntry } from "../tar/tar-header.js";
import { EntryPlanner, normalizeEntryPath } from "./entry-planner.js";

/** A tar entry with defaults for the fields a test does not care about. */
function entry(path: string, type: TarEntry["type"] = "file", linkpath = ""): TarEntry {
  return {
    path,
    linkpath,
    type,
    typeflag: "0",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    headerOffset: 0,
    dataOffset: 512,
  };
}

describe("normalizeEntryPath", () => {
  const ok: Array<[string, string]> = [
    ["./", ""],
    [".", ""],
    ["./a/b/", "a/b"],
    ["a//b/./c", "a/b/c"],
    ["a/../b", "b"],
    ["a/b/../../c", "c"],
  ];
  for (const [raw, want] of ok)
    it(`normalizes ${JSON.stringify(raw)} to ${JSON.stringify(want)}`, () =>
      assert.equal(normalizeEntryPath(raw), want));
  for (const raw of ["../x", "a/../../x", "/etc/x", "./../x"]) {
    it(`refuses ${JSON.stringify(raw)} with PathEscapeError`, () =>
      assert.throws(() => normalizeEntryPath(raw), PathEscapeError));
  }
});

describe("EntryPlanner", () => {
  it("classifies members: files, dirs, links, devices, whiteouts, opaque markers", () => {
    const p = new EntryPlanner();
    const plans = [
      entry("./", "dir"),
      entry("./etc/", "dir"),
      entry("./etc/passwd"),
      entry("./etc/pw", "hardlink", "./etc/passwd"),
      entry("./bin/sh", "symlink", "/bin/busybox"),
      entry("dev/null", "char"),
      entry("dev/sda", "block"),
      entry("run/fifo", "fifo"),
      entry("var/.wh.cache"),
      entry("opt/.wh..wh..opq"),
      entry("x/.wh..wh.plnk"),
      entry(".wh.top"),
    ].map((e) => {
      const plan = p.plan(e);
      return plan.kind === "hardlink" || plan.kind === "symlink"
        ? [plan.kind, plan.path, plan.target]
        : [plan.kind, plan.path];
    });
    assert.deepEqual(plans, [
      ["dir", ""],
      ["dir", "etc"],
      ["file", "etc/passwd"],
      ["hardlink", "etc/pw", "etc/passwd"],
      ["symlink", "bin/sh", "/bin/busybox"],
      ["char", "dev/null"],
      ["block", "dev/sda"],
      ["fifo", "run/fifo"],
      ["whiteout", "var/cache"],
      ["opaque", "opt"],
      ["skip", "x/.wh..wh.plnk"],
      ["whiteout", "top"],
    ]);
  });

  it("drops trusted.overlay xattrs a layer carries and keeps the others", () => {
    const e = entry("f");
    e.xattrs.set("trusted.overlay.redirect", Buffer.from("/x"));
    e.xattrs.set("security.capability", Buffer.from("c"));
    const plan = new EntryPlanner().plan(e);
    assert.ok(plan.kind === "file");
    assert.deepEqual([...plan.xattrs.keys()], ["security.capability"]);
  });

  const refused: Array<{ name: string; entries: TarEntry[]; error: new (...args: never[]) => Error; message: RegExp }> =
    [
      {
        name: "a dot-dot escape",
        entries: [entry("../x")],
        error: PathEscapeError,
        message: /"\.\.\/x" has a path whose "\.\." leaves the layer root/,
      },
      {
        name: "an absolute path",
        entries: [entry("/etc/x")],
        error: PathEscapeError,
        message: /"\/etc\/x" has an absolute path/,
      },
      {
        name: "a file through a symlink of the layer",
        entries: [entry("a", "symlink", "/etc"), entry("a/passwd")],
        error: PathEscapeError,
        message: /"a\/passwd" goes through "a", a symlink of this layer/,
      },
      {
        name: "a deep path through a symlink",
        entries: [entry("a/", "dir"), entry("a/b", "symlink", "../../.."), entry("a/b/c/d")],
        error: PathEscapeError,
        message: /goes through "a\/b"/,
      },
      {
        name: "a hardlink outside the layer",
        entries: [entry("x", "hardlink", "../../etc/passwd")],
        error: PathEscapeError,
        message: /hardlink to "\.\.\/\.\.\/etc\/passwd", outside the layer/,
      },
      {
        name: "a hardlink to a file not in the layer",
        entries: [entry("x", "hardlink", "etc/shadow")],
        error: PathEscapeError,
        message: /not an earlier file of this layer/,
      },
      {
        name: "a hardlink through a symlink",
        entries: [entry("d/", "dir"), entry("d/f"), entry("d", "symlink", "/etc"), entry("x", "hardlink", "d/f")],
        error: PathEscapeError,
        message: /not an earlier file/,
      },
      {
        name: "a hardlink to a directory",
        entries: [entry("d/", "dir"), entry("x", "hardlink", "d")],
        error: PathEscapeError,
        message: /not an earlier file/,
      },
      {
        name: "a whiteout of ..",
        entries: [entry("a/.wh...")],
        error: PathEscapeError,
        message: /whiteout of a relative name/,
      },
      {
        name: "a member under a file",
        entries: [entry("f"), entry("f/g")],
        error: CorruptImageError,
        message: /under "f", which this layer made a non-directory/,
      },
      {
        name: "an unsupported tar type",
        entries: [{ ...entry("s", "unsupported"), typeflag: "S" }],
        error: CorruptImageError,
        message: /tar type "S"/,
      },
    ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      const p = new EntryPlanner();
      const last = c.entries.at(-1) as TarEntry;
      for (const e of c.entries.slice(0, -1)) p.plan(e);
      assert.throws(
        () => p.plan(last),
        (err: unknown) => err instanceof c.error && c.message.test(err.message),
      );
    });
  }

  it("allows a symlink replaced by a directory to be written through again", () => {
    const p = new EntryPlanner();
    p.plan(entry("a", "symlink", "/etc"));
    p.plan(entry("a/", "dir"));
    assert.equal(p.plan(entry("a/f")).kind, "file");
  });
});
