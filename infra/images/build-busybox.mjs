#!/usr/bin/env node
// Builds a busybox image as an OCI image-layout tarball from Debian's busybox-static, with no registry:
//
//   node infra/images/build-busybox.mjs [--out infra/images/out/busybox-oci.tar] [--tag busybox:latest]
//
// The output is reproducible: the same busybox binary gives the same layer, config and manifest digests.
// It is the image of the demo and the runtime's tests (which build it once and reuse it).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PATH, mkdirs, writeOciImage } from "./lib/oci.mjs";

const here = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(here, "out", "busybox-oci.tar") },
    tag: { type: "string", default: "busybox:latest" },
    busybox: { type: "string", default: "/bin/busybox" },
  },
});
const BUSYBOX = values.busybox;
if (!existsSync(BUSYBOX)) {
  console.error(
    `images: ${BUSYBOX} not found; install it with: apt-get install busybox-static (scripts/setup.sh does)`,
  );
  process.exit(1);
}
const linked = execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" });
if (!/statically linked|static-pie linked/.test(linked)) {
  console.error(`images: ${BUSYBOX} is not statically linked (${linked.trim()}); install busybox-static`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "shoal-image-"));
try {
  // ---- the root filesystem ----
  const root = join(work, "rootfs");
  mkdirs(root, ["bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "var", "var/log", "usr", "usr/bin", "sbin"]);
  chmodSync(join(root, "tmp"), 0o1777);
  chmodSync(join(root, "root"), 0o700);
  copyFileSync(BUSYBOX, join(root, "bin", "busybox"));
  chmodSync(join(root, "bin", "busybox"), 0o755);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" })
    .split("\n")
    .filter((a) => a && a !== "busybox");
  for (const a of applets) symlinkSync("busybox", join(root, "bin", a));
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
  );
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(root, "etc", "hostname"), "busybox\n");

  const built = writeOciImage({
    work,
    rootfs: root,
    tag: values.tag,
    out: values.out,
    createdBy: "infra/images/build-busybox.mjs",
    config: {
      Env: [DEFAULT_PATH],
      Cmd: ["sh"],
      WorkingDir: "/",
      Labels: { "org.opencontainers.image.description": "busybox from Debian busybox-static" },
    },
  });
  console.log(JSON.stringify({ ...built, applets: applets.length }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
