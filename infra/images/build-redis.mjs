#!/usr/bin/env node
// Builds a redis image as an OCI image-layout tarball from the host's Debian redis-server package, with no registry:
//
//   node infra/images/build-redis.mjs [--out infra/images/out/redis-oci.tar] [--tag redis:latest]
//
// The layer holds redis-server and redis-cli, every shared library they load (found with ldd, copied with the
// symlinks the loader follows), the dynamic loader, /etc/passwd and /etc/group with a redis user, and /data.
// Reproducible: the same Debian packages give the same digests.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PATH, mkdirs, writeOciImage } from "./lib/oci.mjs";

const here = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(here, "out", "redis-oci.tar") },
    tag: { type: "string", default: "redis:latest" },
    "redis-server": { type: "string", default: "/usr/bin/redis-server" },
    "redis-cli": { type: "string", default: "/usr/bin/redis-cli" },
  },
});
const binaries = { "redis-server": values["redis-server"], "redis-cli": values["redis-cli"] };
for (const [name, path] of Object.entries(binaries)) {
  if (!existsSync(path)) {
    console.error(
      `images: ${path} not found; install it with: apt-get install redis-server (it brings redis-tools, with redis-cli; scripts/setup.sh does)`,
    );
    process.exit(1);
  }
  if (!/ELF .*dynamically linked/.test(execFileSync("file", ["-L", path], { encoding: "utf8" }))) {
    console.error(
      `images: ${path} (${name}) is not a dynamically linked ELF program; point --${name} at the Debian binary`,
    );
    process.exit(1);
  }
}

/** The absolute paths of the shared objects `ldd` says `program` loads, the dynamic loader included. */
function sharedObjects(program) {
  const paths = [];
  for (const line of execFileSync("ldd", [program], { encoding: "utf8" }).split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso.so.1 (0x...)"
    const m = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (m) paths.push(m[1]);
    else if (/not found/.test(line))
      throw new Error(`images: ${program} needs a library ldd cannot find: ${line.trim()}`);
  }
  return paths;
}

/**
 * Copies the host path `hostPath` into `root` at the same path, keeping every symlink on the way (a directory
 * such as /lib -> usr/lib, or libfoo.so.1 -> libfoo.so.1.2) as a symlink and copying the file it ends at.
 */
function copyKeepingLinks(root, hostPath) {
  let done = "/";
  const parts = hostPath.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const host = join(done, parts[i]);
    const inImage = join(root, host);
    const st = lstatSync(host);
    if (st.isSymbolicLink()) {
      const target = readlinkSync(host);
      if (!existsSync(inImage) && !isSymlink(inImage)) symlinkSync(target, inImage);
      // Follow the link, then go on with the rest of the path from where it points.
      const resolved = isAbsolute(target) ? target : resolve(done, target);
      copyKeepingLinks(root, resolved);
      return copyKeepingLinks(root, join(resolved, ...parts.slice(i + 1)));
    }
    if (st.isDirectory()) mkdirSync(inImage, { recursive: true });
    else if (!existsSync(inImage)) {
      copyFileSync(host, inImage);
      chmodSync(inImage, st.mode & 0o755);
    }
    done = host;
  }
}

function isSymlink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

const work = mkdtempSync(join(tmpdir(), "shoal-image-"));
try {
  // ---- the root filesystem ----
  const root = join(work, "rootfs");
  mkdirs(root, ["data", "dev", "etc", "proc", "root", "sys", "tmp", "usr/bin"]);
  chmodSync(join(root, "tmp"), 0o1777);
  chmodSync(join(root, "root"), 0o700);
  const libraries = new Set();
  for (const [name, path] of Object.entries(binaries)) {
    // redis-server is a link to redis-check-rdb in Debian; the program picks its role from argv[0], so the image
    // holds the file itself under the name it is run by.
    copyFileSync(path, join(root, "usr", "bin", name));
    chmodSync(join(root, "usr", "bin", name), 0o755);
    for (const lib of sharedObjects(path)) libraries.add(lib);
  }
  for (const lib of [...libraries].sort()) copyKeepingLinks(root, lib);
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/false\nredis:x:999:999:redis:/data:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nredis:x:999:\nnogroup:x:65534:\n");
  writeFileSync(join(root, "etc", "hostname"), "redis\n");
  const version = execFileSync(binaries["redis-server"], ["--version"], { encoding: "utf8" }).trim();

  const built = writeOciImage({
    work,
    rootfs: root,
    tag: values.tag,
    out: values.out,
    createdBy: "infra/images/build-redis.mjs",
    config: {
      Env: [DEFAULT_PATH],
      // Accept clients from other hosts (no protected mode, every address), keep nothing on disk.
      Cmd: ["redis-server", "--protected-mode", "no", "--bind", "0.0.0.0", "--save", "", "--appendonly", "no"],
      ExposedPorts: { "6379/tcp": {} },
      WorkingDir: "/data",
      Labels: { "org.opencontainers.image.description": `redis from Debian redis-server (${version})` },
    },
  });
  console.log(JSON.stringify({ ...built, libraries: libraries.size }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
