import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorruptImageError } from "../../errors.js";
import { BLOCK } from "./tar-header.js";
import type { TarEntry } from "./tar-header.js";
import { TarReader } from "./tar-reader.js";
import { TAR_END, tarMember, writeTar } from "./tar-writer.js";

interface Read {
  entry: TarEntry;
  data: string;
}

/** Feeds `bytes` to a reader in pieces of `step` bytes and collects members with their data. */
function readAll(bytes: Buffer, step = bytes.length): Read[] {
  const reader = new TarReader("test archive");
  const out: Read[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    for (const ev of reader.push(bytes.subarray(i, i + step))) {
      if (ev.kind === "entry") out.push({ entry: ev.entry, data: "" });
      else if (ev.kind === "data") (out.at(-1) as Read).data += ev.bytes.toString();
    }
  }
  reader.end();
  return out;
}

/** A raw ustar header with given fields, checksum computed; `patch` edits the block before the checksum. */
function rawHeader(name: string, typeflag: string, size: number, patch?: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0);
  b.write("0000644\0", 100);
  b.write("0000000\0", 108);
  b.write("0000000\0", 116);
  b.write(size.toString(8).padStart(11, "0") + "\0", 124);
  b.write("00000000000\0", 136);
  b.write(typeflag, 156);
  b.write("ustar  \0", 257, "latin1");
  patch?.(b);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  return b;
}

const pad = (s: string): Buffer => {
  const b = Buffer.from(s);
  return Buffer.concat([b, Buffer.alloc((BLOCK - (b.length % BLOCK)) % BLOCK)]);
};

describe("TarReader", () => {
  const long = `${"d".repeat(120)}/${"f".repeat(130)}`;
  const archive = writeTar([
    { path: "dir/", type: "dir", mode: 0o4755, uid: 1000, gid: 1001, mtime: 1700000000 },
    { path: "dir/file", type: "file", data: "hello\n" },
    { path: long, type: "file", data: "x".repeat(1000) },
    { path: "link", type: "symlink", linkpath: long },
    { path: "hard", type: "hardlink", linkpath: "dir/file" },
    { path: "cap", type: "file", data: "", xattrs: { "security.capability": Buffer.from([1, 0, 0xff]) } },
    { path: "dev/null", type: "char", devmajor: 1, devminor: 3 },
  ]);

  for (const step of [archive.length, 1, 7, 512, 513]) {
    it(`reads every member, whatever the chunk size (${step})`, () => {
      const got = readAll(archive, step);
      assert.deepEqual(
        got.map((r) => [r.entry.path, r.entry.type]),
        [
          ["dir/", "dir"],
          ["dir/file", "file"],
          [long, "file"],
          ["link", "symlink"],
          ["hard", "hardlink"],
          ["cap", "file"],
          ["dev/null", "char"],
        ],
      );
      const [dir, file, longFile, link, hard, cap, dev] = got as [Read, Read, Read, Read, Read, Read, Read];
      assert.deepEqual(
        [dir.entry.mode, dir.entry.uid, dir.entry.gid, dir.entry.mtime],
        [0o4755, 1000, 1001, 1700000000],
      );
      assert.equal(file.data, "hello\n");
      assert.equal(longFile.data, "x".repeat(1000));
      assert.equal(link.entry.linkpath, long);
      assert.equal(hard.entry.linkpath, "dir/file");
      assert.deepEqual(cap.entry.xattrs.get("security.capability"), Buffer.from([1, 0, 0xff]));
      assert.deepEqual([dev.entry.devmajor, dev.entry.devminor], [1, 3]);
    });
  }

  it("applies GNU long names and links, PAX global and local overrides, and base-256 numbers", () => {
    const longName = "n".repeat(150);
    const longLink = "l".repeat(140);
    const paxBody = (records: string[]): string =>
      records
        .map((r) => {
          let len = r.length + 3;
          while (`${len} ${r}\n`.length !== len) len = `${len} ${r}\n`.length;
          return `${len} ${r}\n`;
        })
        .join("");
    const g = paxBody(["uid=4242"]);
    const x = paxBody(["path=pax/path", "size=3", "mtime=1700000000.5", "gid=7", "SCHILY.xattr.user.k=v"]);
    const bytes = Buffer.concat([
      rawHeader("././@LongLink", "L", longName.length + 1),
      pad(`${longName}\0`),
      rawHeader("././@LongLink", "K", longLink.length + 1),
      pad(`${longLink}\0`),
      rawHeader("short", "2", 0),
      rawHeader("big", "0", 2, (b) => {
        b.fill(0, 108, 116);
        b[108] = 0x80;
        b.writeUInt32BE(0x12345678, 112);
      }),
      pad("hi"),
      rawHeader("g", "g", g.length),
      pad(g),
      rawHeader("x", "x", x.length),
      pad(x),
      rawHeader("ignored", "0", 999),
      pad("abc"),
      TAR_END,
    ]);
    const got = readAll(bytes, 100);
    assert.deepEqual(
      got.map((r) => r.entry.path),
      [longName, "big", "pax/path"],
    );
    assert.equal(got[0]?.entry.linkpath, longLink);
    assert.equal(got[0]?.entry.uid, 0);
    const pax = got[2] as Read;
    assert.deepEqual(
      [pax.entry.uid, pax.entry.gid, pax.entry.size, pax.entry.mtime, pax.data],
      [4242, 7, 3, 1700000000.5, "abc"],
    );
    assert.equal(pax.entry.xattrs.get("user.k")?.toString(), "v");
    assert.deepEqual([got[1]?.entry.uid, got[1]?.data], [0x12345678, "hi"]);
  });

  const member = tarMember({ path: "file", type: "file", data: "x".repeat(600) });
  const cases: Array<{ name: string; bytes: Buffer; message: RegExp }> = [
    {
      name: "truncated inside data",
      bytes: member.subarray(0, 700),
      message: /truncated inside member "file" \(data at offset 512, 412 bytes missing\)/,
    },
    {
      name: "truncated inside a header",
      bytes: Buffer.concat([member, member.subarray(0, 100)]),
      message: /truncated inside a header at offset 1636 \(after member "file"\)/,
    },
    {
      name: "bad checksum",
      bytes: Buffer.concat([member, rawHeader("x", "0", 0, (b) => b.write("0000777", 100)).fill(0x31, 0, 1), TAR_END]),
      message: /bad tar header checksum at offset 1536/,
    },
    {
      name: "bad octal number",
      bytes: rawHeader("x", "0", 0, (b) => b.write("12x4567\0", 124)),
      message: /bad size field in the tar header of "x" at offset 0/,
    },
    {
      name: "malformed PAX record",
      bytes: Buffer.concat([rawHeader("x", "x", 10), pad("99 path=a\n")]),
      message: /malformed PAX record at byte 0/,
    },
    {
      name: "sparse file",
      bytes: Buffer.concat([rawHeader("x", "x", 22), pad("22 GNU.sparse.major=1\n"), rawHeader("s", "0", 0)]),
      message: /GNU sparse file/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with CorruptImageError naming the place`, () => {
      assert.throws(
        () => readAll(c.bytes),
        (err: unknown) => err instanceof CorruptImageError && c.message.test(err.message),
      );
    });
  }

  it("accepts an archive that ends at a member boundary, and ignores bytes after the end marker", () => {
    assert.deepEqual(
      readAll(member).map((r) => r.entry.path),
      ["file"],
    );
    assert.deepEqual(
      readAll(Buffer.concat([member, TAR_END, Buffer.from("garbage")])).map((r) => r.entry.path),
      ["file"],
    );
  });
});
